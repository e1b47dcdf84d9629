package io.remem.bench.cli;

import io.remem.cli.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;

/** The full jar's command line, in process: the server's commands and the benchmarks' together, bad flags named. */
class FullCommandLineTest {
    record Run(int exit, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = Main.execute(cli, args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void topLevelHelpListsTheServersCommandsAndTheBenchmarks() {
        Run r = run("--help");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("controller", "memnode", "status", "tenant", "dataset", "demo", "bench", "jmh",
                "help");
    }

    @ParameterizedTest
    @ValueSource(strings = {"controller", "demo", "bench", "jmh"})
    void everyCommandHasHelp(String command) {
        Run r = run(command, "--help");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("Usage: remem " + command);
    }

    @Test
    void anUnparseableSizeNamesTheOption() {
        Run r = run("demo", "--cache", "12x");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--cache").contains("12x");
    }

    @Test
    void anInvalidBlockSizeNamesTheOption() {
        Run r = run("demo", "--block-size", "3000");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("--block-size").contains("power of two");
    }

    @Test
    void aSmallDemoRunsAndPasses() {
        Run r = run("demo", "--footprint", "8m", "--cache", "2m", "--duration", "2s", "--threads", "2", "--nodes", "2");
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("uniform", "zipf-0.99", "verify-all", "0 mismatches", "PASS");
    }

    @Test
    void aDemoWhoseArrayCannotFitFailsCleanly() {
        Run r = run("demo", "--footprint", "64", "--threads", "4");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("--footprint");
    }
}
