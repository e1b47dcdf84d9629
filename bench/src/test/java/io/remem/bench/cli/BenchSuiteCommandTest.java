package io.remem.bench.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.remem.bench.cli.FullCommandLineTest.run;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code remem bench}: bad options named, and a tiny suite run end to end with its results directory. */
class BenchSuiteCommandTest {
    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
            "--threads;0;--threads",
            "--fractions;0.5,1.5;--fractions",
            "--peer-fraction;0;--peer-fraction",
            "--peers;memcached;--peers",
            "--block-size;3000;--block-size",
            "--redis-port;70000;--redis-port",
            "--sizes;12;--sizes",
            "--distributions;pareto;--distributions",
            "--read-ratio;2;--read-ratio",
            "--footprint;4k;--footprint",
            "--patterns;diagonal;--patterns",
            "--workloads;G;--workloads",
            "--records;5;--records",
            "--scale;40;--scale",
            "--iterations;0;--iterations",
            "--field-count;0;--field-count",
            "--duration;2h;--duration",
            "--repeat;0;--repeat",
            "--repeat;21;--repeat"})
    void aBadOptionIsNamed(String option, String value, String named) {
        FullCommandLineTest.Run r = run("bench", option, value);
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains(named);
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {"--repetitions;0;--repetitions", "--footprint;1m;--footprint"})
    void aBadOffloadOptionIsNamed(String option, String value, String named) {
        FullCommandLineTest.Run r = run("bench", "offload", option, value);
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains(named);
    }

    /** Checked before any child JVM starts, so each of these returns at once. */
    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {"--rounds;0;--rounds", "--samples;99;--samples", "--block-size;3000;--block-size"})
    void aBadMissOptionIsNamed(String option, String value, String named) {
        FullCommandLineTest.Run r = run("bench", "miss", option, value);
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains(named);
    }

    /** Checked before any memory node starts, so each of these returns at once. */
    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
            "--repeats;0;--repeats",
            "--replicas;4;--replicas",
            "--replicas;1,1;--replicas",
            "--sizes;6k;--sizes",
            "--sizes;2m;--sizes",
            "--dataset-size;512k;--dataset-size",
            "--duration;1ms;--duration",
            "--warmup;2h;--warmup",
            "--block-size;3000;--block-size"})
    void aBadCommitOptionIsNamed(String option, String value, String named) {
        FullCommandLineTest.Run r = run("bench", "commit", option, value);
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains(named);
    }

    /** Checked before any server or client JVM starts, so each of these returns at once. */
    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
            "--clients;0;--clients",
            "--clients;2,2;--clients",
            "--clients;17;--clients",
            "--workloads;D;--workloads",
            "--workloads;A,a;--workloads",
            "--systems;memcached;--systems",
            "--systems;redis,redis;--systems",
            "--records;5;--records",
            "--records;1000000;--records",
            "--repeats;0;--repeats",
            "--threads;0;--threads",
            "--duration;1ms;--duration",
            "--warmup;2h;--warmup",
            "--map-bytes;4k;--map-bytes",
            "--field-length;5000;--field-length",
            "--field-count;0;--field-count",
            "--redis-port;70000;--redis-port",
            "--hazelcast-port;-1;--hazelcast-port"})
    void aBadSharedYcsbOptionIsNamed(String option, String value, String named) {
        FullCommandLineTest.Run r = run("bench", "shared-ycsb", option, value);
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains(named);
    }

    @Test
    void optionsBeforeASubcommandAreRefusedNotDropped() {
        FullCommandLineTest.Run r = run("bench", "--quick", "scan");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("--quick").contains("after the subcommand");
    }

    @Test
    void eachWorkloadFamilyAndExperimentHasHelp() {
        for (String family : List.of("random", "scan", "ycsb", "pagerank", "prefetch", "dirty", "reserve", "miss",
                "vthreads", "offload", "commit", "shared-ycsb")) {
            FullCommandLineTest.Run r = run("bench", family, "--help");
            assertThat(r.exit()).as(family).isZero();
            assertThat(r.out()).contains("Usage: remem bench " + family);
        }
    }

    @Test
    void aTinySuiteRunsChecksAndSavesItsResults(@TempDir Path dir) throws IOException {
        FullCommandLineTest.Run r = run("bench", "scan", "--patterns", "sequential", "--peers", "none", "--footprint", "1m",
                "--threads", "2", "--warmup", "0ms", "--duration", "100ms", "--fractions", "1,0.1", "--repeat", "2",
                "--out", dir.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).as("each cell ran twice: the median with the spread")
                .containsPattern("\\| remem 10\\.0% \\| [^|]+ \\[[^|]+-[^|]+\\] \\|");
        assertThat(r.out()).contains("Slowdown against all-local", "| scan sequential |", "remem 10.0%",
                "classic paging 25.0%", "every pass's sum exact");
        assertThat(r.out()).contains("| redis | not asked for (--peers) |");
        assertThat(dir.resolve("summary.md")).exists();
        assertThat(Files.readAllLines(dir.resolve("results.csv")))
                .hasSize(1 + 5) // header; all-local, two sweep points and the peers' 25%, classic paging
                .allMatch(line -> line.startsWith("workload,") || line.contains(",ok: "))
                .allMatch(line -> line.startsWith("workload,") ? line.contains(",repeats,")
                        : line.matches(".*,ok: .*,2,[^,]+,[^,]+"));
        for (String png : List.of("sweep.png", "peers.png", "cdf-scan-sequential.png")) {
            byte[] bytes = Files.readAllBytes(dir.resolve(png));
            assertThat(bytes).as(png).startsWith(0x89, 'P', 'N', 'G');
        }
    }
}
