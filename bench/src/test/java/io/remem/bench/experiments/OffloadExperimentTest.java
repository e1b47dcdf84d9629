package io.remem.bench.experiments;

import io.remem.bench.Progress;
import io.remem.bench.Table;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The offload experiment end to end on a tiny footprint. It checks every near, pulled and auto answer against a
 * plain local run and throws on any difference, so this is also a test that the three modes agree.
 */
class OffloadExperimentTest {
    @Test
    void everyModeAnswersAsTheLocalRunAndEveryTableIsFilled() {
        List<Table> tables = OffloadExperiment.run(new OffloadExperiment.Config(16L << 20, 1, 20, false, 4096), Progress.NONE);
        assertThat(tables).hasSize(3);
        assertThat(tables.get(0).rows()).hasSize(5 * 2 + 2); // five ratios, two operations, two cached ranges
        assertThat(tables.get(1).rows()).hasSize(4);         // four list lengths
        assertThat(tables.get(2).rows()).hasSize(3);         // near, pull, auto
        assertThat(tables.get(2).rows()).extracting(row -> row.get(0)).containsExactly("near", "pull", "auto");
    }
}
