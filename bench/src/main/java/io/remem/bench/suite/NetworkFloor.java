package io.remem.bench.suite;

import io.remem.bench.jmh.PingPong;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The network floor: a raw blocking socket ping-pong on loopback, a 16-byte request answered with one block, as
 * a miss is. Measured in the same run as everything else so that remem's miss latency can be read as a multiple of
 * what the machine's network costs right now.
 */
public final class NetworkFloor {
    private NetworkFloor() {}

    public static Histogram measure(int blockBytes, int roundTrips) {
        Histogram h = new Histogram(3);
        try (PingPong p = PingPong.start(blockBytes)) {
            long sink = 0;
            for (int i = 0; i < Math.min(roundTrips, 2_000); i++) {
                sink += p.roundTrip(); // warm-up: JIT and the socket's buffers
            }
            for (int i = 0; i < roundTrips; i++) {
                long t0 = System.nanoTime();
                sink += p.roundTrip();
                h.recordValue(System.nanoTime() - t0);
            }
            if (sink == Long.MIN_VALUE) {
                System.out.print("");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("ping-pong on loopback failed", e);
        }
        return h;
    }
}
