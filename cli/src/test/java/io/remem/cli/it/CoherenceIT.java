package io.remem.cli.it;

import io.remem.client.Acquisition;
import io.remem.client.CommitConflictException;
import io.remem.client.Dataset;
import io.remem.client.DatasetOptions;
import io.remem.client.FarRange;
import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import io.remem.protocol.DatasetMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Hotpot's Table 2.2 (crash and recovery during commits) with real JVMs and real SIGKILLs, as far as each row has a
 * counterpart in remem: a committing client (Hotpot's CN) killed at every phase of a commit, a memory node holding
 * primaries of some of the dataset's slabs and copies of others (ON and DN) killed while commits run, and the
 * controller (CD) killed while commits run. After each, a read shows the old or the new committed state, never a
 * mix, and no acknowledged commit is lost. Each commit writes one value to two ranges either side of a slab boundary.
 */
class CoherenceIT {
    private static final Duration LEASE = Duration.ofSeconds(2);

    @TempDir
    Path dir;

    private ProcessCluster cluster(int nodes) throws Exception {
        return ProcessCluster.start(dir, nodes, "64m", "--slab-size", "1m", "--lease-timeout", LEASE.toSeconds() + "s");
    }

    private RememProcess committer(ProcessCluster cluster, String dataset, String mode, long count, long first,
                                   String pauseAt, String... more) throws Exception {
        Map<String, String> env = new HashMap<>(Map.of("REMEM_SECRET",
                new String(cluster.secretOf("coherent").reveal())));
        if (pauseAt != null) {
            env.put("JAVA_TOOL_OPTIONS", "-Dremem.test.commitPause=" + pauseAt);
        }
        List<String> args = new ArrayList<>(List.of(cluster.controllerAddress(), "coherent", dataset, mode,
                Long.toString(count), Long.toString(first)));
        args.addAll(List.of(more));
        return RememProcess.start("commits-" + dataset + "-" + System.nanoTime(), dir.resolve("logs"),
                Commits.class.getName(), env, args.toArray(new String[0]));
    }

    private static RememSession session(ProcessCluster cluster) {
        return cluster.connect(RememOptions.builder().tenant("coherent").cacheBytes(1 << 20).replication(2).build());
    }

    private static void commit(Dataset d, long v) {
        try (Acquisition a = d.acquire(Commits.RANGES)) {
            Commits.fill(a.buffer(0), v);
            Commits.fill(a.buffer(1), v);
            a.commit();
        }
    }

    /** A phase, the mode it is in, and the value a read must show after the committer died there. */
    private record Row(String table22, String mode, String phase, long readAfterKill, long afterNextWriter) {}

    /**
     * Rows "MRMW commit, CN, p1/p2/p3" and "MRSW, CN, commit/release": the committer holds value 1 committed and is
     * killed while committing 2. Where Hotpot undoes an MRSW commit whose CN died, remem redoes it from its redo log,
     * which is on every replica before any stripe changes: the commit then completes late, which is as atomic.
     */
    @Test
    void aCommitterKilledAtAnyPhaseLeavesTheOldOrTheNewStateAndItsRangesAreTakenOver() throws Exception {
        List<Row> rows = List.of(
                new Row("MRMW CN p1 (prepared): undo", "mrmw", "prepared", 1, 1),
                new Row("MRMW CN p2 (logged): redo, when the next writer comes", "mrmw", "logged", 1, 2),
                new Row("MRMW CN p2 (applying): redo", "mrmw", "marked", 2, 2),
                new Row("MRMW CN p2 (applied): redo", "mrmw", "applied", 2, 2),
                new Row("MRMW CN p3 (released nothing yet): complete", "mrmw", "cleared", 2, 2),
                new Row("MRSW CN commit (logged): redo, when the next writer comes", "mrsw", "logged", 1, 2),
                new Row("MRSW CN commit (applying): redo", "mrsw", "marked", 2, 2),
                new Row("MRSW CN release: complete, release", "mrsw", "cleared", 2, 2));
        try (ProcessCluster cluster = cluster(2); RememSession s = session(cluster)) {
            for (Row row : rows) {
                String name = "crash-" + row.mode() + "-" + row.phase();
                try (Dataset d = s.memory().dataset(name, DatasetOptions.create(Commits.BYTES)
                        .mode(DatasetMode.valueOf(row.mode().toUpperCase(Locale.ROOT))))) {
                    commit(d, 1);
                    try (RememProcess c = committer(cluster, name, row.mode(), 1, 2, row.phase())) {
                        c.await("COMMIT-PHASE " + row.phase(), ProcessCluster.START);
                        c.kill();
                    }
                    long killed = System.nanoTime();
                    assertThat(Commits.readWhole(d)).as(row.table22()).isEqualTo(row.readAfterKill());
                    // The next writer waits for the dead committer's stripes, or (MRMW) is refused once because the
                    // dead commit rolled forward under it; either way it ends up writing over the rolled-forward state.
                    long seen;
                    int conflicts = 0;
                    while (true) {
                        try (Acquisition a = d.acquire(Commits.RANGES)) {
                            seen = a.buffer(0).get(ValueLayout.JAVA_LONG, 0);
                            assertThat(a.buffer(1).get(ValueLayout.JAVA_LONG, 8184)).isEqualTo(seen);
                            assertThat(seen).isBetween(1L, 2L);
                            Commits.fill(a.buffer(0), 3);
                            Commits.fill(a.buffer(1), 3);
                            a.commit();
                            break;
                        } catch (CommitConflictException e) {
                            assertThat(++conflicts).as(row.table22() + ": conflicts").isLessThanOrEqualTo(1);
                        }
                    }
                    assertThat(seen).as(row.table22() + ", as the next writer acquired").isEqualTo(row.afterNextWriter());
                    System.out.printf("CoherenceIT: %s: read %d, next writer saw %d (%d conflict), committed 3 after %d ms%n",
                            row.table22(), row.readAfterKill(), seen, conflicts,
                            Duration.ofNanos(System.nanoTime() - killed).toMillis());
                    assertThat(Commits.readWhole(d)).isEqualTo(3);
                }
            }
        }
    }

    /**
     * Row "MRSW CN commit (logged)" after a growth: a committer grows the dataset and is SIGKILLed with a commit past
     * the old end in the log. This runtime opened the dataset before it grew, and knows only the old size; its next
     * commit takes the log over, learns the new size and slabs from the controller, and finishes the dead commit.
     */
    @Test
    void aCommitLoggedPastTheEndAnotherRuntimeKnowsIsFinishedByItOnceItLearnsTheGrowth() throws Exception {
        long grown = 2 * Commits.BYTES;
        try (ProcessCluster cluster = cluster(2); RememSession s = session(cluster);
             Dataset d = s.memory().dataset("grows", DatasetOptions.create(Commits.BYTES).growable()
                     .mode(DatasetMode.MRSW))) {
            commit(d, 1);
            try (RememProcess c = committer(cluster, "grows", "mrsw", 1, 2, "logged", Long.toString(grown))) {
                c.await("grew to " + grown, ProcessCluster.START);
                c.await("COMMIT-PHASE logged", ProcessCluster.START);
                c.kill();
            }
            assertThat(d.byteSize()).as("this runtime has not looked since").isEqualTo(Commits.BYTES);
            commit(d, 3); // waits for the dead committer's log lock, then rolls its commit forward first
            assertThat(d.byteSize()).as("learned while recovering").isEqualTo(grown);
            for (FarRange r : Commits.grownRanges(grown)) {
                MemorySegment bytes = MemorySegment.ofArray(new long[(int) (r.length() / 8)]);
                d.read(r.offset(), bytes);
                for (long off = 0; off < bytes.byteSize(); off += 8) {
                    assertThat(bytes.get(ValueLayout.JAVA_LONG, off)).as("the dead commit, at %d", r.offset() + off)
                            .isEqualTo(2);
                }
            }
            assertThat(Commits.readWhole(d)).isEqualTo(3);
        }
    }

    /**
     * Rows "ON/DN, p2/p3" and "MRSW ON/DN, commit/release", and "CD, any": commits run from another JVM while a reader
     * here checks every read is whole and never goes back; one memory node (primary of some slabs, copy of others)
     * is SIGKILLed, later the controller, which then restarts. Every acknowledged commit is there at the end.
     */
    @Test
    void memoryNodeAndControllerKillsDuringCommitsLoseNoAcknowledgedCommitAndShowNoMix() throws Exception {
        try (ProcessCluster cluster = cluster(3); RememSession s = session(cluster);
             Dataset d = s.memory().dataset("chaos", DatasetOptions.create(Commits.BYTES).mode(DatasetMode.MRSW))) {
            AtomicBoolean reading = new AtomicBoolean(true);
            AtomicLong reads = new AtomicLong();
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            Thread reader = Thread.ofPlatform().start(() -> {
                long last = 0;
                try {
                    while (reading.get()) {
                        long v = Commits.readWhole(d);
                        if (v < last) {
                            throw new AssertionError("read " + v + " after " + last);
                        }
                        last = v;
                        reads.incrementAndGet();
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
            try (RememProcess c = committer(cluster, "chaos", "mrsw", 0, 1, null)) {
                c.await("committed 50$", ProcessCluster.START);
                cluster.nodes().get(0).kill();
                c.await("committed 120$", ProcessCluster.START);
                cluster.controller().kill();
                c.await("committed 190$", ProcessCluster.START);
                cluster.startController();
                c.await("committed 260$", ProcessCluster.START);
                c.closeInput();
                c.await("^done$", ProcessCluster.START);
                long acknowledged = lastCommitted(c.output());
                reading.set(false);
                reader.join();
                assertThat(failures).isEmpty();
                assertThat(Commits.readWhole(d)).as("the last acknowledged commit").isEqualTo(acknowledged);
                System.out.printf("CoherenceIT: %d commits through a memory node and a controller kill, %d whole reads%n",
                        acknowledged, reads.get());
            }
        }
    }

    private static long lastCommitted(String output) {
        long last = 0;
        for (String line : output.split("\n")) {
            if (line.startsWith("committed ")) {
                last = Long.parseLong(line.substring("committed ".length()).trim());
            }
        }
        return last;
    }

    /** The CLI creates a coherent dataset and shows its mode. */
    @Test
    void theCliCreatesACoherentDatasetAndShowsItsMode() throws Exception {
        try (ProcessCluster cluster = cluster(2)) {
            List<String> args = new ArrayList<>(List.of("dataset", "create", "ledger", "1m", "--mode", "mrmw",
                    "--controller", cluster.controllerAddress(), "--tenant", "coherent"));
            try (RememProcess p = RememProcess.start("cli-create", dir.resolve("logs"), "io.remem.cli.Main",
                    Map.of("REMEM_SECRET", new String(cluster.secretOf("coherent").reveal())), args.toArray(new String[0]))) {
                assertThat(p.awaitExit(ProcessCluster.START)).as(p.output()).isZero();
                assertThat(p.output()).contains("MRMW");
            }
            args.set(1, "info");
            args.remove(3);
            args.remove(3);
            args.remove(3);
            try (RememProcess p = RememProcess.start("cli-info", dir.resolve("logs"), "io.remem.cli.Main",
                    Map.of("REMEM_SECRET", new String(cluster.secretOf("coherent").reveal())), args.toArray(new String[0]))) {
                assertThat(p.awaitExit(ProcessCluster.START)).as(p.output()).isZero();
                assertThat(p.output()).contains("mrmw");
            }
            try (RememSession s = session(cluster);
                 Dataset d = s.memory().dataset("ledger", DatasetOptions.open())) {
                assertThat(d.mode()).isEqualTo(DatasetMode.MRMW);
                assertThat(d.byteSize()).isEqualTo(1 << 20);
            }
        }
    }
}
