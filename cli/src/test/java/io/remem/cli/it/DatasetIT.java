package io.remem.cli.it;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Named datasets across real JVMs: one client writes a dataset and exits, others open it by name, after a controller
 * restart and after the writer was SIGKILLed, and see its bytes; the CLI lists, grows and deletes them, refusing while
 * a client has one open; a growth survives the restart; and nothing of them is reclaimed with their clients' leases.
 */
class DatasetIT {
    private static final long BYTES = 12L << 20; // three 4 MiB slabs

    @TempDir
    Path dir;

    private RememProcess uses(ProcessCluster cluster, String tenant, String name, String... modeArgs) throws Exception {
        List<String> args = new ArrayList<>(List.of(cluster.controllerAddress(), tenant, name));
        args.addAll(List.of(modeArgs));
        return RememProcess.start("uses-" + name + "-" + modeArgs[0] + "-" + System.nanoTime(), dir.resolve("logs"),
                UsesDataset.class.getName(), Map.of("REMEM_SECRET", secret(cluster, tenant)), args.toArray(new String[0]));
    }

    private static String secret(ProcessCluster cluster, String tenant) {
        return new String(cluster.secretOf(tenant).reveal());
    }

    /** {@code remem dataset ...} as {@code tenant}; returns its output once it exits. */
    private String cli(ProcessCluster cluster, String tenant, String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("dataset"));
        all.addAll(List.of(args));
        all.addAll(List.of("--controller", cluster.controllerAddress(), "--tenant", tenant));
        try (RememProcess p = RememProcess.start("cli-" + System.nanoTime(), dir.resolve("logs"), "io.remem.cli.Main",
                Map.of("REMEM_SECRET", secret(cluster, tenant)), all.toArray(new String[0]))) {
            p.awaitExit(ProcessCluster.START);
            return p.output();
        }
    }

    @Test
    void aDatasetWrittenByOneJvmIsReadByOthersAcrossRestartsAndKillsUntilItIsDeleted() throws Exception {
        try (ProcessCluster cluster = ProcessCluster.start(dir, 2, "128m", "--slab-size", "4m", "--lease-timeout", "2s")) {
            // Three writers create the same name at once: one creates it, the others open it; the memory is reserved once.
            try (RememProcess w1 = uses(cluster, "acme", "users", "write", "17", Long.toString(BYTES));
                 RememProcess w2 = uses(cluster, "acme", "users", "write", "17", Long.toString(BYTES));
                 RememProcess w3 = uses(cluster, "acme", "users", "write", "17", Long.toString(BYTES))) {
                for (RememProcess w : List.of(w1, w2, w3)) {
                    w.await("wrote 3072 blocks", ProcessCluster.START);
                }
                assertThat(cluster.status().tenants().stream().filter(t -> t.name().equals("acme")).findFirst()
                        .orElseThrow().usedBytes()).isEqualTo(BYTES);
                for (RememProcess w : List.of(w1, w2, w3)) {
                    w.kill(); // SIGKILL: their leases expire, the dataset stays
                }
            }
            cluster.awaitStatus(s -> s.leases().isEmpty(), "the killed writer's lease to expire");

            // A growable dataset grows in whole slabs; it never shrinks, and a coherent one cannot be made growable.
            assertThat(cli(cluster, "logbook", "create", "logs", "6m", "--growable")).contains("created Dataset[logbook/logs");
            assertThat(cli(cluster, "logbook", "grow", "logs", "10m")).contains("grew Dataset[logbook/logs, 10485760 bytes");
            assertThat(cli(cluster, "logbook", "grow", "logs", "8m")).contains("a dataset never shrinks");
            assertThat(cli(cluster, "logbook", "create", "ledger", "1m", "--growable", "--mode", "mrsw"))
                    .contains("created Dataset[logbook/ledger, 1048576 bytes");
            assertThat(cli(cluster, "logbook", "grow", "ledger", "3m")).contains("grew Dataset[logbook/ledger, 3145728 bytes");

            cluster.controller().kill();
            cluster.startController();
            cluster.awaitLiveNodes(2);
            assertThat(cli(cluster, "logbook", "info", "logs")).containsPattern("logs\\s+10.0 MiB");
            // logs: three whole 4 MiB slabs; ledger (header, log, 3 MiB of data): two; each counted once, not per copy.
            assertThat(cluster.status().tenants().stream().filter(t -> t.name().equals("logbook")).findFirst()
                    .orElseThrow().usedBytes()).isEqualTo(20L << 20);

            try (RememProcess reader = uses(cluster, "acme", "users", "check", "17")) {
                reader.await("verified 3072 blocks", ProcessCluster.START);
                assertThat(cli(cluster, "acme", "list")).containsPattern("acme\\s+users\\s+12.0 MiB\\s+2\\s+none\\s+1");
                String refused = cli(cluster, "acme", "delete", "users");
                assertThat(refused).contains("open in 1 other session");
                // Another tenant sees nothing of it, and cannot delete it.
                assertThat(cli(cluster, "intruder", "list")).contains("no datasets");
                assertThat(cli(cluster, "intruder", "delete", "users")).contains("has no dataset users");
                // Granted, another tenant lists it; revoked, it does not; and it can never delete it.
                assertThat(cli(cluster, "acme", "grant", "users", "nobody-yet")).contains("there is no tenant nobody-yet");
                cluster.secretOf("partner"); // the admin creates the tenant first
                assertThat(cli(cluster, "acme", "grant", "users", "partner")).contains("granted dataset users to tenant partner");
                assertThat(cli(cluster, "acme", "info", "users")).contains("partner (read)");
                assertThat(cli(cluster, "partner", "list")).containsPattern("acme\\s+users");
                assertThat(cli(cluster, "partner", "delete", "users")).contains("has no dataset users");
                assertThat(cli(cluster, "acme", "revoke", "users", "partner")).contains("revoked");
                assertThat(cli(cluster, "partner", "list")).contains("no datasets");
                reader.closeInput();
                reader.await("^closed$", ProcessCluster.START);
            }
            assertThat(cli(cluster, "acme", "info", "users")).containsPattern("users\\s+12.0 MiB\\s+2\\s+none\\s+0");
            assertThat(cluster.status().tenants().stream().filter(t -> t.name().equals("acme")).findFirst().orElseThrow()
                    .usedBytes()).as("the dataset still holds its memory").isEqualTo(BYTES);

            assertThat(cli(cluster, "acme", "delete", "users")).contains("deleted dataset users of tenant acme");
            assertThat(cli(cluster, "acme", "list")).contains("no datasets");
            assertThat(cluster.status().tenants().stream().filter(t -> t.name().equals("acme")).findFirst().orElseThrow()
                    .usedBytes()).isZero();
            try (RememProcess late = uses(cluster, "acme", "users", "check", "17")) {
                late.awaitExit(ProcessCluster.START);
                assertThat(late.output()).contains("no dataset users");
            }
        }
    }
}
