package io.remem.protocol;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class LimitsTest {

    @Test
    void roundToGranuleRoundsUpToWhole64KiBChunks() {
        assertThat(Limits.SLAB_GRANULE).isEqualTo(65536);
        assertThat(Limits.roundToGranule(0)).isZero();
        assertThat(Limits.roundToGranule(1)).isEqualTo(65536);
        assertThat(Limits.roundToGranule(65535)).isEqualTo(65536);
        assertThat(Limits.roundToGranule(65536)).isEqualTo(65536);
        assertThat(Limits.roundToGranule(65537)).isEqualTo(131072);
        assertThat(Limits.roundToGranule(3L << 30)).isEqualTo(3L << 30);
    }

    @Test
    void slabSizesFollowTheShift() {
        assertThat(new ClusterInfo(Limits.MIN_SLAB_SHIFT, 0, 0, 0, 0).slabSize()).isEqualTo(1L << 20);
        assertThat(new ClusterInfo(Limits.DEFAULT_SLAB_SHIFT, 0, 0, 0, 0).slabSize()).isEqualTo(64L << 20);
        assertThat(new ClusterInfo(Limits.MAX_SLAB_SHIFT, 0, 0, 0, 0).slabSize()).isEqualTo(4L << 30);
    }

    @Test
    void frameLimitsAreConsistent() {
        assertThat(Wire.FRAME_OVERHEAD).isEqualTo(44);
        assertThat(Wire.MAX_FRAME_BYTES).isEqualTo(40 + (16 << 20));
        // Every slab size is a whole number of granules.
        assertThat((1L << Limits.MIN_SLAB_SHIFT) % Limits.SLAB_GRANULE).isZero();
    }
}
