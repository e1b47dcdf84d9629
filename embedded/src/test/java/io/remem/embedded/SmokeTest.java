package io.remem.embedded;

import io.remem.client.FarSegment;
import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;

import static org.assertj.core.api.Assertions.assertThat;

class SmokeTest {
    @Test
    void writesSurviveEviction() {
        try (EmbeddedCluster cluster = EmbeddedCluster.builder().nodes(3).nodeCapacity(64L << 20).slabShift(20).start();
             RememSession s = cluster.connect(RememOptions.builder().cacheBytes(64 << 10).blockSize(4096).build())) {
            FarSegment seg = s.memory().allocate(8L << 20);
            for (long i = 0; i < seg.byteSize() / 8; i += 7) {
                seg.set(ValueLayout.JAVA_LONG, i * 8, i * 31 + 1);
            }
            for (long i = 0; i < seg.byteSize() / 8; i++) {
                long expected = i % 7 == 0 ? i * 31 + 1 : 0;
                assertThat(seg.get(ValueLayout.JAVA_LONG, i * 8)).as("word %d", i).isEqualTo(expected);
            }
            System.out.println(s.memory().stats());
        }
    }
}
