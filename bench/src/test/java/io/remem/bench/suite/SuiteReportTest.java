package io.remem.bench.suite;

import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The report's warning about runs that contradict each other, on made-up results. */
class SuiteReportTest {
    private static Suite.Report report(List<SuiteResult> results) {
        Suite.Config config = new Suite.Config(List.of(), new double[] {1, 0.5}, 0.25,
                new RunSettings(1, Duration.ofMillis(200), Duration.ofSeconds(1)), 4096, List.of(), 1, 1, 2, 3);
        Histogram floor = new Histogram(3);
        floor.recordValue(50_000);
        return new Suite.Report(config, floor, Map.of(), results, Map.of(), 1);
    }

    /** A remem cell whose median run did {@code rates[1]} ops/s (rates sorted), with all of {@code rates}. */
    private static SuiteResult remem(double fraction, double... rates) {
        Histogram h = new Histogram(3);
        h.recordValue(1000);
        RunResult median = new RunResult((long) rates[rates.length / 2], 1_000_000_000L, h, "ok");
        return new SuiteResult("w", "ycsb", "ops", "remem " + fraction, "remem", fraction, median, null, null, rates);
    }

    @Test
    void moreCacheClearlySlowerThanLessIsFlaggedWithTheWarmUp() {
        SuiteReport r = new SuiteReport(report(List.of(remem(1, 100, 110, 120), remem(0.5, 200, 210, 220))));
        assertThat(r.inconsistencies()).singleElement().asString()
                .contains("remem 1.0", "ran slower than remem 0.5", "warm-up (at least 200.0 ms, until throughput held steady)", "--repeat");
        assertThat(r.markdown("cmd")).contains("### Warnings");
    }

    @Test
    void overlappingSpreadsOrTheExpectedOrderAreNotFlagged() {
        assertThat(new SuiteReport(report(List.of(remem(1, 100, 150, 210), remem(0.5, 200, 205, 220))))
                .inconsistencies()).as("the spreads overlap").isEmpty();
        SuiteReport fine = new SuiteReport(report(List.of(remem(1, 900, 1000, 1100), remem(0.5, 200, 210, 220))));
        assertThat(fine.inconsistencies()).isEmpty();
        assertThat(fine.markdown("cmd")).doesNotContain("### Warnings");
    }

    @Test
    void withOneRunEachMoreThanTenPercentSlowerIsFlagged() {
        assertThat(new SuiteReport(report(List.of(remem(1, 85), remem(0.5, 100)))).inconsistencies()).hasSize(1);
        assertThat(new SuiteReport(report(List.of(remem(1, 95), remem(0.5, 100)))).inconsistencies()).isEmpty();
    }
}
