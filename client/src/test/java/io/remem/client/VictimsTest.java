package io.remem.client;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/** The victim policies against a table of frames and nothing else: no cache, no backend. */
class VictimsTest {
    /** Frames with stamps, reference bits and an evictable flag each, as a test sets them. */
    private static final class Table implements Victims.Frames {
        final long[] stamps;
        final boolean[] referenced;
        final boolean[] evictable;

        Table(int n) {
            stamps = new long[n];
            referenced = new boolean[n];
            evictable = new boolean[n];
            Arrays.fill(evictable, true);
        }

        @Override
        public int frameCount() {
            return stamps.length;
        }

        @Override
        public boolean evictable(int f) {
            return evictable[f];
        }

        @Override
        public long stamp(int f) {
            return stamps[f];
        }

        @Override
        public boolean clearReferenced(int f) {
            boolean was = referenced[f];
            referenced[f] = false;
            return was;
        }
    }

    @Test
    void clockGoesRoundAndSparesAReferencedFrameOnce() {
        Table t = new Table(4);
        t.referenced[1] = true;
        Victims v = Victims.of(EvictionPolicy.CLOCK, t);
        assertThat(v.passLength()).isEqualTo(4);
        assertThat(v.next()).isZero();
        assertThat(v.spare(0)).isFalse();
        assertThat(v.next()).isEqualTo(1);
        assertThat(v.spare(1)).as("second chance").isTrue();
        assertThat(v.next()).isEqualTo(2);
        assertThat(v.next()).isEqualTo(3);
        assertThat(v.next()).as("round again").isZero();
        assertThat(v.next()).isEqualTo(1);
        assertThat(v.spare(1)).as("the reference was used up").isFalse();
    }

    @Test
    void sampledPoliciesPickTheOldestEvictableStampAndNeverSpare() {
        for (EvictionPolicy p : new EvictionPolicy[] {EvictionPolicy.FIFO, EvictionPolicy.LRU}) {
            Table t = new Table(8);
            long[] stamps = {50, 40, 10, 30, 20, 60, 70, 80};
            System.arraycopy(stamps, 0, t.stamps, 0, 8);
            t.evictable[2] = false; // the oldest, but pinned or locked
            Victims v = Victims.of(p, t);
            assertThat(v.next()).as(p.name()).isEqualTo(4);
            assertThat(v.spare(4)).isFalse();
            assertThat(v.passLength()).as("a cache within one sample is exact: one pass is one choice").isEqualTo(1);
        }
    }

    @Test
    void aSampleLooksAtSixteenFramesFromARotatingHand() {
        Table t = new Table(64);
        for (int f = 0; f < 64; f++) {
            t.stamps[f] = 1000 - f; // the later the frame, the older
        }
        Victims v = Victims.of(EvictionPolicy.LRU, t);
        assertThat(v.passLength()).isEqualTo(4);
        assertThat(v.next()).as("oldest of frames 0-15").isEqualTo(15);
        assertThat(v.next()).as("oldest of frames 16-31").isEqualTo(31);
    }
}
