package io.remem.cli;

import io.remem.protocol.auth.Secret;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;

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
        int exit = Main.execute(cli, args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void topLevelHelpListsEveryCommand() {
        Run r = run("--help");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("controller", "memnode", "status", "tenant", "dataset", "help");
    }

    /** This module is the server jar: the full jar's commands are not on its class path, and it says where they are. */
    @ParameterizedTest
    @ValueSource(strings = {"demo", "bench", "jmh"})
    void theFullJarsCommandsSayWhereTheyAre(String command) {
        assertThat(run("--help").out()).doesNotContain(" " + command + " ");
        Run r = run(command, "--help");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("remem " + command + ": not in this jar", "bench/target/remem.jar", "./remem");
    }

    @ParameterizedTest
    @ValueSource(strings = {"controller", "memnode", "status", "tenant", "dataset"})
    void everyCommandHasHelp(String command) {
        Run r = run(command, "--help");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("Usage: remem " + command);
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
        assertThat(r.err()).contains("--listen").contains("--controller").contains("--cluster-secret-file");
    }

    @Test
    void drainAndUndrainNameABadNodeAndTheirRequiredOptions(@TempDir Path dir) throws Exception {
        Path secret = dir.resolve("admin.secret");
        Secret.createFile(secret, new SecureRandom());
        for (String command : new String[] {"drain", "undrain"}) {
            Run zero = run("memnode", command, "--controller", "127.0.0.1:1", "--admin-secret-file", secret.toString(), "0");
            assertThat(zero.exit()).isEqualTo(1);
            assertThat(zero.err()).contains("NODE").contains("0");
            Run missing = run("memnode", command, "5");
            assertThat(missing.exit()).isEqualTo(2);
            assertThat(missing.err()).contains("--controller").contains("--admin-secret-file");
            Run unreachable = run("memnode", command, "--controller", "127.0.0.1:1", "--admin-secret-file",
                    secret.toString(), "5");
            assertThat(unreachable.exit()).isEqualTo(1);
            assertThat(unreachable.err()).contains("--controller 127.0.0.1:1").contains("cannot connect");
        }
    }

    @Test
    void anUnreadableSecretFileIsNamed(@TempDir Path dir) {
        Run admin = run("tenant", "list", "--controller", "127.0.0.1:1", "--admin-secret-file", dir.resolve("nope").toString());
        assertThat(admin.exit()).isEqualTo(1);
        assertThat(admin.err()).contains("--admin-secret-file").contains("nope");
        Run node = run("memnode", "--listen", "127.0.0.1:0", "--capacity", "1g", "--controller", "127.0.0.1:1",
                "--cluster-secret-file", dir.resolve("nope").toString());
        assertThat(node.exit()).isEqualTo(1);
        assertThat(node.err()).contains("--cluster-secret-file").contains("nope");
    }

    @Test
    void aSecretFileHoldingSomethingElseIsNamedWithoutEchoingIt(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("cluster.secret");
        Files.writeString(f, "hunter2\n");
        Run r = run("memnode", "--listen", "127.0.0.1:0", "--capacity", "1g", "--controller", "127.0.0.1:1",
                "--cluster-secret-file", f.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("--cluster-secret-file").contains("not a remem secret").doesNotContain("hunter2");
    }

    @Test
    void tlsFlagsThatDoNotGoTogetherAreNamed(@TempDir Path dir) throws Exception {
        Path secret = dir.resolve("cluster.secret");
        Secret.createFile(secret, new SecureRandom());
        Run keyOnly = run("memnode", "--listen", "127.0.0.1:0", "--capacity", "1g", "--controller", "127.0.0.1:1",
                "--cluster-secret-file", secret.toString(), "--tls-key", secret.toString());
        assertThat(keyOnly.exit()).isEqualTo(1);
        assertThat(keyOnly.err()).contains("--tls-key").contains("--tls-cert");
        Run require = run("controller", "--listen", "127.0.0.1:0", "--data-dir", dir.resolve("c").toString(),
                "--tls-require-client-cert");
        assertThat(require.exit()).isEqualTo(1);
        assertThat(require.err()).contains("--tls-require-client-cert");
        Run notPem = run("controller", "--listen", "127.0.0.1:0", "--data-dir", dir.resolve("c").toString(),
                "--tls-cert", secret.toString(), "--tls-key", secret.toString());
        assertThat(notPem.exit()).isEqualTo(1);
        assertThat(notPem.err()).contains("--tls-cert");
    }

    @Test
    void limitFlagsOutsideTheirRangeAreNamed(@TempDir Path dir) {
        Run conns = run("controller", "--listen", "127.0.0.1:0", "--data-dir", dir.toString(), "--max-connections", "0");
        assertThat(conns.exit()).isEqualTo(1);
        assertThat(conns.err()).contains("--max-connections");
        Run frame = run("controller", "--listen", "127.0.0.1:0", "--data-dir", dir.toString(), "--pre-auth-frame-limit", "10");
        assertThat(frame.exit()).isEqualTo(1);
        assertThat(frame.err()).contains("--pre-auth-frame-limit");
        Run ttl = run("controller", "--listen", "127.0.0.1:0", "--data-dir", dir.toString(), "--token-ttl", "1s");
        assertThat(ttl.exit()).isEqualTo(1);
        assertThat(ttl.err()).contains("--token-ttl");
        Run lease = run("controller", "--listen", "127.0.0.1:0", "--data-dir", dir.toString(), "--lease-timeout", "500ms");
        assertThat(lease.exit()).isEqualTo(1);
        assertThat(lease.err()).contains("--lease-timeout", "1s..7d");
    }

    @Test
    void datasetCommandsNameWhoIsAskingAndBadNames(@TempDir Path dir) throws Exception {
        Run neither = run("dataset", "list", "--controller", "127.0.0.1:1");
        assertThat(neither.exit()).isEqualTo(1);
        assertThat(neither.err()).contains("--tenant", "--admin-secret-file");
        Path secret = dir.resolve("admin.secret");
        Secret.createFile(secret, new SecureRandom());
        Run badName = run("dataset", "delete", "--controller", "127.0.0.1:1", "--admin-secret-file", secret.toString(),
                "acme/bad name");
        assertThat(badName.exit()).isEqualTo(1);
        assertThat(badName.err()).contains("NAME", "dataset name 'bad name' is invalid");
        Run noOwner = run("dataset", "info", "--controller", "127.0.0.1:1", "--admin-secret-file", secret.toString(), "users");
        assertThat(noOwner.exit()).isEqualTo(1);
        assertThat(noOwner.err()).contains("OWNER/NAME");
        Run adminCreate = run("dataset", "create", "--controller", "127.0.0.1:1", "--admin-secret-file", secret.toString(),
                "users", "1g");
        assertThat(adminCreate.exit()).isEqualTo(1);
        assertThat(adminCreate.err()).contains("only that tenant may create it; use --tenant");
        Run adminGrow = run("dataset", "grow", "--controller", "127.0.0.1:1", "--admin-secret-file", secret.toString(),
                "users", "2g");
        assertThat(adminGrow.exit()).isEqualTo(1);
        assertThat(adminGrow.err()).contains("only that tenant may grow it; use --tenant");
        Run zeroGrow = run("dataset", "grow", "--controller", "127.0.0.1:1", "--tenant", "acme", "users", "0");
        assertThat(zeroGrow.exit()).isEqualTo(1);
        assertThat(zeroGrow.err()).contains("SIZE: must be positive");
    }

    @Test
    void aDataDirInUseByAnotherNodeIsNamed(@TempDir Path dir) throws Exception {
        Path secret = dir.resolve("cluster.secret");
        Secret.createFile(secret, new SecureRandom());
        Files.writeString(dir.resolve("lock"), "");
        try (FileChannel ch = FileChannel.open(dir.resolve("lock"), StandardOpenOption.WRITE);
             FileLock lock = ch.lock()) {
            Run r = run("memnode", "--listen", "127.0.0.1:0", "--capacity", "1g", "--controller", "127.0.0.1:1",
                    "--cluster-secret-file", secret.toString(), "--data-dir", dir.toString());
            assertThat(r.exit()).isEqualTo(1);
            assertThat(r.err()).contains("--data-dir").contains(dir.toString());
        }
    }

    @Test
    void aTooSmallCapacityIsNamed(@TempDir Path dir) {
        Secret.createFile(dir.resolve("cluster.secret"), new SecureRandom());
        Run r = run("memnode", "--listen", "127.0.0.1:0", "--capacity", "1k", "--controller", "127.0.0.1:1",
                "--cluster-secret-file", dir.resolve("cluster.secret").toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("--capacity");
    }

    @Test
    void aNodeTimeoutShorterThanTwoHeartbeatsIsNamed(@TempDir Path dir) {
        Run r = run("controller", "--listen", "127.0.0.1:0", "--data-dir", dir.toString(),
                "--heartbeat-interval", "1s", "--node-timeout", "1500ms");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("--node-timeout").contains("--heartbeat-interval");
    }

    @Test
    void anInvalidTenantNameOrQuotaIsNamed(@TempDir Path dir) throws Exception {
        Path secret = dir.resolve("admin.secret");
        Secret.createFile(secret, new SecureRandom());
        Run bad = run("tenant", "add", "--controller", "127.0.0.1:1", "--admin-secret-file", secret.toString(), "bad name");
        assertThat(bad.exit()).isEqualTo(1);
        assertThat(bad.err()).contains("NAME").contains("tenant name");
        Run size = run("tenant", "add", "--controller", "127.0.0.1:1", "--admin-secret-file", secret.toString(),
                "--quota", "lots", "ok");
        assertThat(size.exit()).isEqualTo(2);
        assertThat(size.err()).contains("--quota").contains("lots");
    }

    @Test
    void aSlabSizeThatIsNotAPowerOfTwoIsNamed(@TempDir Path dir) {
        Run r = run("controller", "--listen", "127.0.0.1:0", "--data-dir", dir.toString(), "--slab-size", "3m");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("--slab-size");
    }

    @Test
    void statusOfAControllerThatIsNotThereSaysSo(@TempDir Path dir) throws Exception {
        Path secret = dir.resolve("admin.secret");
        Secret.createFile(secret, new SecureRandom());
        Run r = run("status", "--controller", "127.0.0.1:1", "--admin-secret-file", secret.toString());
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("cannot connect to 127.0.0.1:1");
    }

    @Test
    void statusWithoutCredentialsSaysWhatItNeeds() {
        Run r = run("status", "--controller", "127.0.0.1:1");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("--admin-secret-file").contains("--tenant").contains("REMEM_SECRET");
    }
}
