package io.remem.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.remem.protocol.auth.Token;
import io.remem.protocol.auth.TokenFuzzTest;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static io.remem.protocol.FuzzSupport.byteAt;
import static io.remem.protocol.FuzzSupport.intAt;
import static io.remem.protocol.FuzzSupport.rest;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

/**
 * The fuzz tests' seed files are what {@link FuzzSeeds} makes today, and each is a message its decoder accepts, so the
 * fuzzers start from real messages. {@code -Dfuzz.seeds.write=src/test/resources} rewrites the files first.
 */
class FuzzSeedsTest {
    @Test
    void seedFilesAreCurrentAndDecode() throws IOException {
        String write = System.getProperty("fuzz.seeds.write", "");
        if (!write.isEmpty()) {
            FuzzSeeds.write(Path.of(write));
        }
        for (FuzzSeeds.Seed seed : FuzzSeeds.all()) {
            try (InputStream in = write.isEmpty() ? FuzzSeedsTest.class.getResourceAsStream("/" + seed.path())
                    : Files.newInputStream(Path.of(write, seed.path()))) {
                assertThat(in).as("%s is missing: rewrite the seeds (see FuzzSeeds)", seed.path()).isNotNull();
                assertThat(in.readAllBytes()).as("%s is out of date: rewrite the seeds (see FuzzSeeds)", seed.path())
                        .isEqualTo(seed.bytes());
            }
            assertThatCode(() -> accept(seed)).as(seed.path()).doesNotThrowAnyException();
        }
    }

    /** Decodes a seed as its fuzz test does, and throws unless the decoder accepts it. */
    private static void accept(FuzzSeeds.Seed seed) {
        byte[] d = seed.bytes();
        String dir = Path.of(seed.path()).getParent().getParent().getFileName().toString();
        ByteBuf rest1 = Unpooled.wrappedBuffer(rest(d, 1));
        switch (dir) {
            case "FrameHeaderFuzzTestInputs" -> new FrameHeader().read(Unpooled.wrappedBuffer(d)).validate();
            case "HelloFuzzTestInputs" -> {
                switch (byteAt(d, 0)) {
                    case 0 -> Hello.decode(rest1);
                    case 1 -> HelloReply.decode(rest1);
                    default -> AuthProof.decode(rest1);
                }
            }
            case "WriteRunsFuzzTestInputs" -> {
                WriteRunReader r = new WriteRunReader().reset(Unpooled.wrappedBuffer(rest(d, 5)), intAt(d, 1), (d[0] & 1) != 0);
                while (r.next()) {
                    // walk every run
                }
            }
            case "BodiesFuzzTestInputs" -> BodiesFuzzTest.DECODERS.get(byteAt(d, 0)).decode().apply(rest1);
            case "OffloadBodiesFuzzTestInputs" -> {
                switch (byteAt(d, 0)) {
                    case OffloadBodiesFuzzTest.AGGREGATE -> AggregateRequest.decode(rest1);
                    case OffloadBodiesFuzzTest.CHASE -> ChaseRequest.decode(rest1);
                    case OffloadBodiesFuzzTest.MAP_GET -> MapGetRequest.decode(Unpooled.wrappedBuffer(rest(d, 5)), intAt(d, 1));
                    case OffloadBodiesFuzzTest.AGGREGATE_RESULT ->
                            AggregateResult.decode(Unpooled.wrappedBuffer(rest(d, 9)), intAt(d, 1), intAt(d, 5));
                    case OffloadBodiesFuzzTest.CHASE_RESULT -> ChaseResult.decode(rest1);
                    default -> MapGetResult.decode(rest1);
                }
            }
            case "TokenFuzzTestInputs" -> TokenFuzzTest.KEYS.verify(rest(d, 1),
                    (d[0] & 1) != 0 ? Token.Kind.REPLICA : Token.Kind.SESSION, TokenFuzzTest.NOW);
            default -> throw new AssertionError("no fuzz test reads " + seed.path());
        }
    }
}
