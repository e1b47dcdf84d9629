package io.remem.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;

/** The command line, in process: help everywhere, and bad flags named in the error. */
class CommandLineTest {
    record Run(int exit, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        int exit = cli.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void topLevelHelpListsEveryCommand() {
        Run r = run("--help");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("controller", "memnode", "status", "demo", "jmh");
    }

    @ParameterizedTest
    @ValueSource(strings = {"controller", "memnode", "status", "demo", "jmh"})
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
    void aMissingRequiredOptionIsNamed() {
        Run r = run("controller", "--data-dir", "/tmp/x");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--listen");
    }

    @Test
    void aBadEndpointIsNamed() {
        Run r = run("memnode", "--listen", "nohost", "--capacity", "1g", "--controller", "127.0.0.1:1");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--listen").contains("HOST:PORT");
    }

    @Test
    void aMemoryNodeWithoutItsRequiredOptionsNamesThem() {
        Run r = run("memnode", "--capacity", "1g");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--listen").contains("--controller");
    }

    @Test
    void drainNamesABadNodeAndAnUnreachableController() {
        Run zero = run("memnode", "drain", "--controller", "127.0.0.1:1", "0");
        assertThat(zero.exit()).isEqualTo(1);
        assertThat(zero.err()).contains("NODE").contains("0");
        Run missing = run("memnode", "drain", "5");
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains("--controller");
    }

    @Test
    void aDataDirInUseByAnotherNodeIsNamed(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Files.writeString(dir.resolve("lock"), "");
        try (var ch = java.nio.channels.FileChannel.open(dir.resolve("lock"), java.nio.file.StandardOpenOption.WRITE);
             var lock = ch.lock()) {
            Run r = run("memnode", "--listen", "127.0.0.1:0", "--capacity", "1g", "--controller", "127.0.0.1:1",
                    "--data-dir", dir.toString());
            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.err()).contains("--data-dir").contains(dir.toString());
        }
    }

    @Test
    void aTooSmallCapacityIsNamed() {
        Run r = run("memnode", "--listen", "127.0.0.1:0", "--capacity", "1k", "--controller", "127.0.0.1:1");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("--capacity");
    }

    @Test
    void aNodeTimeoutShorterThanTwoHeartbeatsIsNamed(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        Run r = run("controller", "--listen", "127.0.0.1:0", "--data-dir", dir.toString(),
                "--heartbeat-interval", "1s", "--node-timeout", "1500ms");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("--node-timeout").contains("--heartbeat-interval");
    }

    @Test
    void anInvalidQuotaIsNamed(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        Run bad = run("controller", "--listen", "127.0.0.1:0", "--data-dir", dir.toString(), "--quota", "bad name=1g");
        assertThat(bad.exit()).isEqualTo(1);
        assertThat(bad.err()).contains("--quota bad name=1g").contains("tenant name");
        Run size = run("controller", "--listen", "127.0.0.1:0", "--data-dir", dir.toString(), "--quota", "ok=lots");
        assertThat(size.exit()).isEqualTo(1);
        assertThat(size.err()).contains("--quota ok").contains("lots");
    }

    @Test
    void aSlabSizeThatIsNotAPowerOfTwoIsNamed(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        Run r = run("controller", "--listen", "127.0.0.1:0", "--data-dir", dir.toString(), "--slab-size", "3m");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("--slab-size");
    }

    @Test
    void statusOfAControllerThatIsNotThereSaysSo() {
        Run r = run("status", "--controller", "127.0.0.1:1");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("cannot connect to 127.0.0.1:1");
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
