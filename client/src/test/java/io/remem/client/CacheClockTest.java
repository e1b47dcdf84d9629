package io.remem.client;

import io.remem.transport.NanoClock;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.RememException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The cache's deadlines run on its injected clock: a test moves time instead of waiting for it. */
class CacheClockTest {
    private static final int BLOCK = 1024;
    private static final long FAR = 64L * BLOCK;
    private static final Duration TIMEOUT = Duration.ofMinutes(10);

    @Test
    void aPinThatCannotBeTakenTimesOutWhenTheClockSaysSoNotAfterTheWallClockTimeout() {
        AtomicBoolean jumping = new AtomicBoolean();
        AtomicLong skipped = new AtomicLong();
        // Once jumping, every reading is an hour after the last one: any deadline passes at its first check.
        NanoClock clock = () -> System.nanoTime() + (jumping.get() ? skipped.addAndGet(Duration.ofHours(1).toNanos()) : 0);
        try (InMemoryBackend backend = new InMemoryBackend(FAR, BLOCK, new SplittableRandom(1));
             LocalCache cache = new LocalCache(new CacheConfig(BLOCK, 32, 2, 4, TIMEOUT), backend, clock)) {
            FarSegment seg = new FarSegment(cache, new Allocation(null, 0, FAR), 0, FAR);
            try (PinnedView held = seg.pin(4L * BLOCK, 2L * BLOCK)) {
                // Block 5 is pinned where the first view put it; a view laid out differently must move it, and cannot.
                jumping.set(true);
                long start = System.nanoTime();
                assertThatThrownBy(() -> seg.pin(5L * BLOCK, 2L * BLOCK))
                        .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.TIMEOUT))
                        .hasMessageContaining("could not pin block 5");
                assertThat(Duration.ofNanos(System.nanoTime() - start)).as("not the %s timeout in wall-clock time", TIMEOUT)
                        .isLessThan(Duration.ofSeconds(30));
                jumping.set(false);
            }
            try (PinnedView later = seg.pin(5L * BLOCK, 2L * BLOCK)) {
                assertThat(later.segment().byteSize()).as("the frame claimed for the failed pin went back").isEqualTo(2L * BLOCK);
            }
        }
    }
}
