package io.remem.protocol;

import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What the fuzz tests found in the decoders, each kept with its input so it stays fixed. */
class FuzzFindingsTest {
    /**
     * {@link ClusterStatus#decode} read the booleans {@code node.alive} and {@code node.draining} as "non-zero", so 2..255
     * decoded as true and re-encoded as 1: two encodings of one STATUS answer. Found by {@code BodiesFuzzTest}'s
     * canonical re-encoding check within a few thousand runs; every boolean of the protocol is now 0 or 1.
     */
    @Test
    void clusterStatusRefusesBooleansOtherThanZeroAndOne() throws IOException {
        // u8 slabShift 26, u32 nodes 1: u64 id 0, string "h", u16 port 1, u8 alive 2, u64 capacity, backed, reserved 0,
        // u32 slabs 0, u64 millisSinceHeartbeat 0, u8 draining 0; u32 tenants 0; repair: 3 x u32, 3 x u64, u32, all 0.
        String minimal = "1a" + "00000001" + "0000000000000000" + "000168" + "0001" + "02" + "00".repeat(8 * 3 + 4 + 8)
                + "00" + "00000000" + "00".repeat(4 * 3 + 8 * 3 + 4);
        assertRefused(HexFormat.of().parseHex(minimal));
        byte[] found; // the fuzzer's own input: BodiesFuzzTest's selector byte, then the body, whose alive byte is 0x3a
        try (InputStream in = getClass().getResourceAsStream(
                "known-fuzz-findings/clusterStatus-crash-bb2cce15bc7db3770de607e8456fbbfbf4471033")) {
            found = in.readAllBytes();
        }
        assertRefused(FuzzSupport.rest(found, 1));
    }

    private static void assertRefused(byte[] body) {
        assertThatThrownBy(() -> ClusterStatus.decode(Unpooled.wrappedBuffer(body)))
                .isInstanceOfSatisfying(RememException.class, e -> assertThatThrownBy(() -> {
                    throw e;
                }).hasMessageContaining("node.alive"));
    }
}
