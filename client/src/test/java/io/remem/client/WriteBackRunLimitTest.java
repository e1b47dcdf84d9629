package io.remem.client;

import io.remem.protocol.Wire;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A write-back round goes to each memory node as one scatter write (WRITEV), which carries at most
 * {@link Wire#MAX_WRITE_RUNS} runs; a node refuses a bigger one, so a round must be sent before any node's share
 * could pass that, not only when its bytes reach {@link WriteBack#MAX_BYTES}.
 */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class WriteBackRunLimitTest {
    private static final int BLOCK = 64 << 10;
    private static final int LINES = BLOCK / FrameTable.LINE_SIZE;
    /** Dirty lines per block: every other line, except the last pair, so each block adds 511 one-line runs. */
    private static final int RUNS_PER_BLOCK = LINES / 2 - 1;
    /** 130 blocks of 511 runs: once 4 MiB of 64-byte runs have piled up (129 blocks) there are 65,919 runs. */
    private static final int BLOCKS = 130;
    private static final long FAR = (long) BLOCKS * BLOCK;

    @Test
    void aRoundNeverExceedsTheRunLimitPerNode() {
        try (InMemoryBackend backend = new InMemoryBackend(FAR, BLOCK, new SplittableRandom(1));
             LocalCache cache = new LocalCache(new CacheConfig(BLOCK, BLOCKS + 8, 1, 2, Duration.ofSeconds(30)), backend)) {
            FarSegment seg = new FarSegment(cache, new Allocation(null, 0, FAR), 0, FAR);
            for (int b = 0; b < BLOCKS; b++) {
                for (int run = 0; run < RUNS_PER_BLOCK; run++) {
                    long addr = (long) b * BLOCK + 2L * run * FrameTable.LINE_SIZE;
                    seg.set(ValueLayout.JAVA_LONG, addr, addr + 1);
                }
            }
            // All of InMemoryBackend's batch is for one node: the worst case, every run in one WRITEV.
            cache.flush();

            assertThat(backend.mostRunsInOneBatch.get())
                    .as("runs in one node's WRITEV")
                    .isLessThanOrEqualTo(Wire.MAX_WRITE_RUNS)
                    .isGreaterThan(Wire.MAX_WRITE_RUNS / 2); // the rounds were big enough for the limit to matter
            MemorySegment far = MemorySegment.ofArray(backend.snapshot(0, (int) FAR));
            for (int b = 0; b < BLOCKS; b++) {
                for (int run = 0; run < RUNS_PER_BLOCK; run++) {
                    long addr = (long) b * BLOCK + 2L * run * FrameTable.LINE_SIZE;
                    assertThat(far.get(ValueLayout.JAVA_LONG_UNALIGNED, addr)).as("word at %d", addr).isEqualTo(addr + 1);
                }
            }
        }
    }
}
