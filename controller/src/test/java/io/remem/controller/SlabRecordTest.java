package io.remem.controller;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SlabRecordTest {
    /** Replicas 1, 2 readable (1 the primary), 3 being copied; epoch 5, factor 3. */
    private static SlabRecord threeWithOneCopying() {
        return new SlabRecord(9, "t", 1 << 20, new long[] {1, 2, 3}, 5, 2, 3);
    }

    @Test
    void theRecordCopiesItsReplicaArray() {
        long[] replicas = {1, 2};
        SlabRecord s = new SlabRecord(1, "t", 64, replicas, 0, 2, 2);
        replicas[0] = 99;
        assertThat(s.replicas()).containsExactly(1, 2);
    }

    @Test
    void holdsReadableOnAndCopyingFollowTheReadablePrefix() {
        SlabRecord s = threeWithOneCopying();
        assertThat(s.holds(1)).isTrue();
        assertThat(s.holds(3)).isTrue();
        assertThat(s.holds(4)).isFalse();
        assertThat(s.readableOn(1)).isTrue();
        assertThat(s.readableOn(2)).isTrue();
        assertThat(s.readableOn(3)).isFalse();
        assertThat(s.readableOn(4)).isFalse();
        assertThat(s.copying()).isTrue();
        assertThat(new SlabRecord(9, "t", 64, new long[] {1, 2}, 0, 2, 2).copying()).isFalse();
    }

    @Test
    void removingAReadableReplicaDecrementsReadableAndBumpsTheEpoch() {
        SlabRecord s = threeWithOneCopying();
        SlabRecord noPrimary = s.without(1);
        assertThat(noPrimary.replicas()).containsExactly(2, 3);
        assertThat(noPrimary.readable()).isEqualTo(1);
        assertThat(noPrimary.readableOn(2)).isTrue();
        assertThat(noPrimary.readableOn(3)).isFalse();
        assertThat(noPrimary.epoch()).isEqualTo(6);
        assertThat(noPrimary.factor()).isEqualTo(3);
        assertThat(noPrimary.id()).isEqualTo(9);
        assertThat(noPrimary.tenant()).isEqualTo("t");
        assertThat(noPrimary.size()).isEqualTo(1 << 20);

        SlabRecord noSecond = s.without(2);
        assertThat(noSecond.replicas()).containsExactly(1, 3);
        assertThat(noSecond.readable()).isEqualTo(1);
        assertThat(noSecond.readableOn(3)).isFalse();
        assertThat(noSecond.epoch()).isEqualTo(6);

        // The original is untouched.
        assertThat(s.replicas()).containsExactly(1, 2, 3);
        assertThat(s.readable()).isEqualTo(2);
        assertThat(s.epoch()).isEqualTo(5);
    }

    @Test
    void removingACopyingReplicaKeepsReadableAndBumpsTheEpoch() {
        SlabRecord s = threeWithOneCopying().without(3);
        assertThat(s.replicas()).containsExactly(1, 2);
        assertThat(s.readable()).isEqualTo(2);
        assertThat(s.copying()).isFalse();
        assertThat(s.epoch()).isEqualTo(6);
    }

    @Test
    void withCopyAppendsANonReadableReplicaAtTheNextEpoch() {
        SlabRecord s = new SlabRecord(9, "t", 64, new long[] {4}, 2, 1, 2);
        SlabRecord more = s.withCopy(7);
        assertThat(more.replicas()).containsExactly(4, 7);
        assertThat(more.readable()).isEqualTo(1);
        assertThat(more.copying()).isTrue();
        assertThat(more.readableOn(7)).isFalse();
        assertThat(more.holds(7)).isTrue();
        assertThat(more.epoch()).isEqualTo(3);
        assertThat(more.factor()).isEqualTo(2);
        assertThat(s.replicas()).containsExactly(4);
    }

    @Test
    void copiedMovesTheNodeIntoTheReadablePrefixWithoutBumpingTheEpoch() {
        SlabRecord s = new SlabRecord(9, "t", 64, new long[] {1, 2, 3, 4}, 8, 1, 3);
        // 3 finishes before 2: it moves to the first non-readable slot, 2 takes its place.
        SlabRecord three = s.copied(3);
        assertThat(three.readable()).isEqualTo(2);
        assertThat(three.replicas()).containsExactly(1, 3, 2, 4);
        assertThat(three.readableOn(3)).isTrue();
        assertThat(three.readableOn(2)).isFalse();
        assertThat(three.readableOn(4)).isFalse();
        assertThat(three.epoch()).isEqualTo(8);
        assertThat(three.replicas()[0]).as("the primary stays").isEqualTo(1);

        SlabRecord four = three.copied(4);
        assertThat(four.readable()).isEqualTo(3);
        assertThat(four.replicas()).containsExactly(1, 3, 4, 2);
        assertThat(four.readableOn(4)).isTrue();
        assertThat(four.readableOn(2)).isFalse();
        assertThat(four.epoch()).isEqualTo(8);

        SlabRecord all = four.copied(2);
        assertThat(all.readable()).isEqualTo(4);
        assertThat(all.copying()).isFalse();
        assertThat(all.replicas()).containsExactlyInAnyOrder(1, 2, 3, 4);
        assertThat(all.epoch()).isEqualTo(8);
    }

    @Test
    void aWholeRepairAdvancesTheEpochOncePerReplicaSetChange() {
        SlabRecord s = new SlabRecord(9, "t", 64, new long[] {1, 2}, 0, 2, 2);
        SlabRecord failed = s.without(1);           // epoch 1: [2]
        SlabRecord copying = failed.withCopy(3);    // epoch 2: [2 | 3]
        SlabRecord done = copying.copied(3);        // epoch 2: [2, 3]
        assertThat(failed.epoch()).isEqualTo(1);
        assertThat(copying.epoch()).isEqualTo(2);
        assertThat(done.epoch()).isEqualTo(2);
        assertThat(done.replicas()).containsExactly(2, 3);
        assertThat(done.readable()).isEqualTo(2);
        assertThat(done.factor()).isEqualTo(2);
    }
}
