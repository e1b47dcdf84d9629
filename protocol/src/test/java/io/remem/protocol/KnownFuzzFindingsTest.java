package io.remem.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bugs the fuzz tests found in the decoders and that are not fixed yet, each with its input. These tests pin today's
 * (wrong) behaviour: when one fails, the bug was fixed; then delete the test and the allowance the fuzz test makes for
 * it (named in the test), so the fuzz test holds that decoder to the full property again.
 */
class KnownFuzzFindingsTest {
    /**
     * {@link ClusterStatus#decode} reads the booleans {@code node.alive} and {@code node.draining} as "non-zero", so any
     * of 2..255 decodes as true and re-encodes as 1: two encodings of the same STATUS answer. Every other boolean of the
     * protocol (tenantRemove.force, slabDamaged.damaged, aggregate.select) refuses anything but 0 and 1. Found by
     * {@code BodiesFuzzTest} (canonical re-encoding); allowance: {@code BodiesFuzzTest.clusterStatusBooleans}.
     */
    @Test
    void clusterStatusAcceptsBooleansOtherThanZeroAndOne() throws IOException {
        // u8 slabShift 26, u32 nodes 1: u64 id 0, string "h", u16 port 1, u8 alive 2, u64 capacity, backed, reserved 0,
        // u32 slabs 0, u64 millisSinceHeartbeat 0, u8 draining 0; u32 tenants 0; repair: 3 x u32, 3 x u64, u32, all 0.
        String minimal = "1a" + "00000001" + "0000000000000000" + "000168" + "0001" + "02" + "00".repeat(8 * 3 + 4 + 8)
                + "00" + "00000000" + "00".repeat(4 * 3 + 8 * 3 + 4);
        assertPinned(HexFormat.of().parseHex(minimal), 1 + 4 + 8 + 3 + 2);

        // What the fuzzer found (BodiesFuzzTest's input: selector 7, clusterStatus, then the body): alive is 0x3a.
        byte[] found;
        try (InputStream in = getClass().getResourceAsStream(
                "known-fuzz-findings/clusterStatus-crash-bb2cce15bc7db3770de607e8456fbbfbf4471033")) {
            found = in.readAllBytes();
        }
        assertThat(found[0] % BodiesFuzzTest.DECODERS.size()).isEqualTo(BodiesFuzzTest.index("clusterStatus"));
        byte[] body = FuzzSupport.rest(found, 1);
        assertThat(body[0x55]).isEqualTo((byte) 0x3a);
        assertPinned(body, 0x55);
    }

    /** {@code body} decodes, and re-encodes to the same bytes except for a 1 at {@code booleanAt}. */
    private static void assertPinned(byte[] body, int booleanAt) {
        ClusterStatus status;
        try {
            status = ClusterStatus.decode(Unpooled.wrappedBuffer(body));
        } catch (RememException e) {
            throw new AssertionError("ClusterStatus.decode now refuses a boolean of " + body[booleanAt] + " (" + e.detail()
                    + "): the bug is fixed; delete this test and BodiesFuzzTest.clusterStatusBooleans", e);
        }
        ByteBuf out = Unpooled.buffer();
        status.encode(out);
        byte[] encoded = ByteBufUtil.getBytes(out);
        byte[] expected = body.clone();
        expected[booleanAt] = 1;
        assertThat(body[booleanAt]).as("the boolean in the input").isNotIn((byte) 0, (byte) 1);
        assertThat(encoded).as("re-encoded: fixed? then delete this test and BodiesFuzzTest.clusterStatusBooleans")
                .isEqualTo(expected);
    }
}
