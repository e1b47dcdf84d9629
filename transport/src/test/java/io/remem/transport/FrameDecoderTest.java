package io.remem.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.TooLongFrameException;
import io.remem.protocol.Wire;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link FrameDecoder} alone, in an {@link EmbeddedChannel}: frames cut at their length prefix, the pre-auth limit
 * applied from the prefix alone, and the note of a half-received frame that the frame timeout reads.
 */
class FrameDecoderTest {
    private static final int PRE_AUTH_LIMIT = 1024;

    private Peer peer;
    private FrameDecoder decoder;
    private EmbeddedChannel channel;

    @BeforeEach
    void setUp() {
        // Only its session state matters here; it is not in the pipeline.
        peer = new Peer(null, "decoder-test", Duration.ofSeconds(1));
        decoder = new FrameDecoder(peer, PRE_AUTH_LIMIT);
        channel = new EmbeddedChannel(decoder);
    }

    @AfterEach
    void tearDown() {
        channel.finishAndReleaseAll();
    }

    /** A frame of {@code length} bytes after the prefix, filled with {@code fill}. */
    private static ByteBuf frame(int length, int fill) {
        byte[] body = new byte[length];
        Arrays.fill(body, (byte) fill);
        return Unpooled.buffer(Wire.LENGTH_FIELD_BYTES + length).writeInt(length).writeBytes(body);
    }

    private static ByteBuf prefixOnly(long length) {
        return Unpooled.buffer(4).writeInt((int) length);
    }

    /** The next frame out of the decoder, checked to be {@code length} bytes of {@code fill}, prefix stripped. */
    private void assertFrame(int length, int fill) {
        ByteBuf f = channel.readInbound();
        assertThat(f).as("a decoded frame").isNotNull();
        try {
            byte[] expected = new byte[length];
            Arrays.fill(expected, (byte) fill);
            assertThat(ByteBufUtil.getBytes(f)).isEqualTo(expected);
        } finally {
            f.release();
        }
    }

    @Test
    void framesAreCutAtTheirPrefixWhetherTheyArriveTogetherOrInPieces() {
        ByteBuf two = Unpooled.buffer().writeBytes(frame(50, 1)).writeBytes(frame(60, 2));
        ByteBuf third = frame(70, 3);
        two.writeBytes(third, 0, 30); // and the start of a third
        channel.writeInbound(two);
        assertFrame(50, 1);
        assertFrame(60, 2);
        assertThat((Object) channel.readInbound()).as("the third is not complete").isNull();
        assertThat(decoder.partialSinceNanos()).as("a frame is half received").isNotZero();

        channel.writeInbound(third.skipBytes(30));
        assertFrame(70, 3);
        assertThat(decoder.partialSinceNanos()).as("nothing half received").isZero();
    }

    @Test
    void aHalfReceivedFrameKeepsTheTimeItStarted() throws Exception {
        ByteBuf f = frame(100, 4);
        channel.writeInbound(f.readRetainedSlice(10));
        long since = decoder.partialSinceNanos();
        assertThat(since).isNotZero();
        Thread.sleep(5);
        channel.writeInbound(f.readRetainedSlice(10));
        // More bytes of the same frame do not restart its clock: a sender trickling bytes is still timed out.
        assertThat(decoder.partialSinceNanos()).isEqualTo(since);
        channel.writeInbound(f);
        assertFrame(100, 4);
        assertThat(decoder.partialSinceNanos()).isZero();
    }

    @Test
    void beforeTheSessionIsOpenAFrameOverTheLimitIsRefusedFromItsPrefixAlone() {
        channel.writeInbound(frame(PRE_AUTH_LIMIT, 5));
        assertFrame(PRE_AUTH_LIMIT, 5);
        assertThatThrownBy(() -> channel.writeInbound(prefixOnly(PRE_AUTH_LIMIT + 1)))
                .isInstanceOf(TooLongFrameException.class)
                .hasMessageContaining(String.valueOf(PRE_AUTH_LIMIT + 1))
                .hasMessageContaining("before the session is open");
        // A length prefix with the high bit set is not a small negative number.
        tearDown();
        setUp();
        assertThatThrownBy(() -> channel.writeInbound(prefixOnly(0x8000_0010L)))
                .isInstanceOf(TooLongFrameException.class);
    }

    @Test
    void onceTheSessionIsOpenTheProtocolsLimitApplies() {
        peer.openSession(null, 0);
        channel.writeInbound(frame(64 << 10, 6));
        assertFrame(64 << 10, 6);
        channel.writeInbound(prefixOnly(Wire.MAX_FRAME_BYTES).writeBytes(new byte[16]));
        assertThat(decoder.partialSinceNanos()).as("a maximal frame is on its way").isNotZero();
        tearDown();
        setUp();
        peer.openSession(null, 0);
        assertThatThrownBy(() -> channel.writeInbound(prefixOnly(Wire.MAX_FRAME_BYTES + 1L)))
                .isInstanceOf(TooLongFrameException.class);
    }
}
