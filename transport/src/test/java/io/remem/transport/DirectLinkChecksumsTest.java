package io.remem.transport;

import io.remem.protocol.Checksums;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.Features;
import io.remem.protocol.HelloReply;
import io.remem.protocol.Opcode;
import io.remem.protocol.RememException;
import io.remem.protocol.Role;
import io.remem.protocol.Wire;
import io.remem.testkit.Await;
import io.remem.transport.ScriptedNode.Request;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A {@link DirectLink} whose session was granted {@link Features#CHECKSUMS}: every data answer ends in a CRC32C of its
 * bytes, which the link checks as the bytes land, against a {@link ScriptedNode} that sends right and wrong trailers.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class DirectLinkChecksumsTest {
    private static final Duration WAIT = Duration.ofSeconds(5);

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    private static int crc(byte[] data) {
        return Checksums.crc32c(new CRC32C(), MemorySegment.ofArray(data));
    }

    /** A data answer's body: the bytes, then the u32 trailer. */
    private static byte[] withTrailer(byte[] data, int trailer) {
        byte[] body = Arrays.copyOf(data, data.length + Checksums.BYTES);
        ByteBuffer.wrap(body).putInt(data.length, trailer);
        return body;
    }

    /** The answer to {@code r} carrying {@code data} and {@code trailer}; the header names the data's length. */
    private static byte[] dataAnswer(Request r, byte[] data, int trailer) {
        return ScriptedNode.response(r, data.length, withTrailer(data, trailer));
    }

    @Test
    void aDataAnswerIsCheckedAgainstItsTrailerAndAMismatchFailsOnlyThatRead() throws Exception {
        try (ScriptedNode node = new ScriptedNode()) {
            DirectLink l = node.connect(Duration.ofSeconds(5), Features.CHECKSUMS);
            try {
                assertThat(l.checksums()).isTrue();

                byte[] good = random(4096, 1);
                MemorySegment dst = MemorySegment.ofArray(new byte[4096]);
                CompletableFuture<Void> read = l.readAsync(9, 0, dst);
                Request r = node.nextRequest();
                assertThat(r.header().length()).isEqualTo(4096);
                node.send(dataAnswer(r, good, crc(good)));
                Await.result(read, WAIT);
                assertThat(dst.toArray(ValueLayout.JAVA_BYTE)).isEqualTo(good);

                // One bit off in the trailer: the bytes that landed are not to be trusted.
                byte[] bad = random(4096, 2);
                CompletableFuture<Void> corrupt = l.readAsync(9, 4096, MemorySegment.ofArray(new byte[4096]));
                Request r2 = node.nextRequest();
                node.send(dataAnswer(r2, bad, crc(bad) ^ 1));
                RememException e = Await.failure(corrupt, WAIT);
                assertThat(e.code()).isEqualTo(ErrorCode.CHECKSUM_MISMATCH);
                assertThat(e.detail()).contains("checksum");

                // The whole frame was read, trailer included, so the link stays in step for the next answer: here
                // one scattered over two segments, whose checksum covers both.
                assertThat(l.isOpen()).isTrue();
                byte[] next = random(3000, 3);
                MemorySegment a = MemorySegment.ofArray(new byte[1000]);
                MemorySegment b = MemorySegment.ofArray(new byte[2000]);
                CompletableFuture<Void> scattered = l.readAsync(Opcode.REPLICA_READ, 9, 0, a, b);
                Request r3 = node.nextRequest();
                assertThat(r3.op()).isEqualTo(Opcode.REPLICA_READ);
                node.send(dataAnswer(r3, next, crc(next)));
                Await.result(scattered, WAIT);
                assertThat(a.toArray(ValueLayout.JAVA_BYTE)).isEqualTo(Arrays.copyOfRange(next, 0, 1000));
                assertThat(b.toArray(ValueLayout.JAVA_BYTE)).isEqualTo(Arrays.copyOfRange(next, 1000, 3000));
                assertThat(l.inFlight()).isZero();
            } finally {
                l.close();
            }
        }
    }

    @Test
    void aBlockingReadWithAWrongTrailerThrowsChecksumMismatch() throws Exception {
        try (ScriptedNode node = new ScriptedNode()) {
            DirectLink l = node.connect(Duration.ofSeconds(5), Features.CHECKSUMS);
            try {
                CompletableFuture<RememException> outcome = new CompletableFuture<>();
                Thread.ofVirtual().start(() -> {
                    try {
                        l.read(3, 0, MemorySegment.ofArray(new byte[512]));
                        outcome.completeExceptionally(new AssertionError("the read returned"));
                    } catch (RememException e) {
                        outcome.complete(e);
                    } catch (Throwable e) {
                        outcome.completeExceptionally(e);
                    }
                });
                Request r = node.nextRequest();
                byte[] data = random(512, 4);
                node.send(dataAnswer(r, data, ~crc(data)));
                assertThat(Await.result(outcome, WAIT).code()).isEqualTo(ErrorCode.CHECKSUM_MISMATCH);

                // The link goes on: a blocking read with a right trailer succeeds.
                CompletableFuture<Void> again = CompletableFuture.runAsync(
                        () -> l.read(3, 512, MemorySegment.ofArray(new byte[16])));
                Request r2 = node.nextRequest();
                byte[] ok = random(16, 5);
                node.send(dataAnswer(r2, ok, crc(ok)));
                Await.result(again, WAIT);
            } finally {
                l.close();
            }
        }
    }

    /** An answer without its trailer would leave the stream four bytes out of step if taken for data. */
    @Test
    void aDataAnswerMissingItsTrailerIsMalformedAndTheLinkStaysInStep() throws Exception {
        try (ScriptedNode node = new ScriptedNode()) {
            DirectLink l = node.connect(Duration.ofSeconds(5), Features.CHECKSUMS);
            try {
                CompletableFuture<Void> read = l.readAsync(9, 0, MemorySegment.ofArray(new byte[64]));
                Request r = node.nextRequest();
                node.send(ScriptedNode.response(r, random(64, 6))); // version 2's format
                assertThat(Await.failure(read, WAIT).code()).isEqualTo(ErrorCode.MALFORMED_FRAME);

                MemorySegment dst = MemorySegment.ofArray(new byte[64]);
                CompletableFuture<Void> next = l.readAsync(9, 64, dst);
                Request r2 = node.nextRequest();
                byte[] data = random(64, 7);
                node.send(dataAnswer(r2, data, crc(data)));
                Await.result(next, WAIT);
                assertThat(dst.toArray(ValueLayout.JAVA_BYTE)).isEqualTo(data);
            } finally {
                l.close();
            }
        }
    }

    /** Asking for checksums and not getting them: the client must not take unchecked data for checked. */
    @Test
    void aNodeThatDoesNotGrantChecksumsIsRefused() throws Exception {
        try (ScriptedNode node = new ScriptedNode()) {
            DirectLink l = DirectLink.connect(node.host(), node.port(), Duration.ofSeconds(2), Duration.ofSeconds(5));
            try {
                CompletableFuture<ClientHandshake.Session> hello = CompletableFuture.supplyAsync(
                        () -> l.hello(Role.CLIENT, ScriptedNode.token("t"), 0, Features.CHECKSUMS));
                node.accept();
                Request h = node.nextRequest();
                assertThat(ScriptedNode.hello(h).features()).isEqualTo(Features.CHECKSUMS);
                node.send(ScriptedNode.response(h, ScriptedNode.encode(new HelloReply.Accepted(Wire.VERSION,
                        ScriptedNode.SESSION, "old-node", 0, new byte[0], new byte[0]))));
                RememException e = Await.failure(hello, WAIT);
                assertThat(e.code()).isEqualTo(ErrorCode.UNSUPPORTED_VERSION);
                assertThat(e.detail()).contains("did not grant features");
                assertThat(l.isOpen()).isFalse();
                assertThat(l.checksums()).isFalse();
                assertThatThrownBy(() -> l.read(1, 0, MemorySegment.ofArray(new byte[8])))
                        .isInstanceOf(RememException.class);
            } finally {
                l.close();
            }
        }
    }
}
