package io.remem.memnode;

import io.remem.memnode.Ops.Run;
import io.remem.memnode.ScriptedController.Report;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.NodeRegister.HeldSlab;
import io.remem.protocol.NodeRegister;
import io.remem.protocol.NodeRegistered.Restore;
import io.remem.protocol.Opcode;
import io.remem.protocol.RememException;
import io.remem.protocol.auth.Secret;
import io.remem.testkit.Await;
import io.remem.transport.DirectLink;
import io.remem.transport.EventLoops;
import io.remem.transport.HostPort;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static io.remem.memnode.Ops.assertCode;
import static io.remem.memnode.Ops.faa;
import static io.remem.memnode.Ops.pattern;
import static io.remem.memnode.Ops.read;
import static io.remem.memnode.Ops.writev;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Memory nodes with a data directory whose slab files go bad, each driven by a {@link ScriptedController}: damage
 * found at recovery and by the running scrub is quarantined (every access fails with DATA_CORRUPT) and reported, and
 * the controller's answers (drop the copy, or restore the only one) are followed.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class MemNodeIntegrityTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final long MIB = 1L << 20;
    private static final long CHUNK = Slab.CHUNK_SIZE;
    private static final long SLAB = 9;
    private static final Secret clusterSecret = Tokens.newClusterSecret();
    private static EventLoops loops;

    @TempDir
    Path dir;

    /** The scrub's clock: the tests move it, and drive the scrub's passes themselves. */
    private final AtomicLong nanos = new AtomicLong(1_000_000_000_000L);
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @BeforeAll
    static void startLoops() {
        loops = EventLoops.create("scripted-controllers", 2);
    }

    @AfterAll
    static void stopLoops() {
        if (loops != null) {
            loops.close();
        }
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
    }

    // ------------------------------------------------------------------ helpers

    private ScriptedController controller() {
        ScriptedController c = ScriptedController.start(loops, 7, clusterSecret);
        toClose.add(c);
        return c;
    }

    /** A node on {@code dir}, registered with {@code c}. */
    private MemNode node(ScriptedController c) throws InterruptedException {
        MemNodeConfig config = new MemNodeConfig(new HostPort("127.0.0.1", 0), 32 * MIB,
                new HostPort("127.0.0.1", c.port()), List.of(clusterSecret)).withIoThreads(2).withCallTimeout(WAIT)
                .withDataDir(dir);
        MemNode n = MemNode.start(config, Clock.systemUTC(), nanos::get);
        toClose.add(n);
        assertThat(n.awaitRegistered(WAIT)).as("registered").isTrue();
        return n;
    }

    private void stop(MemNode n) {
        toClose.remove(n);
        n.close();
    }

    private DirectLink client(MemNode n) {
        DirectLink l = DirectLink.connect("127.0.0.1", n.address().port(), Duration.ofSeconds(2), WAIT);
        toClose.add(l);
        Tokens.openClient(l, clusterSecret, "alice");
        return l;
    }

    /** A node holding slab {@link #SLAB} with chunks 0 to 2 written and sealed; returns what was written. */
    private byte[] nodeWithSealedData(ScriptedController c) throws InterruptedException {
        MemNode n = node(c);
        c.nextRegistration();
        c.create(SLAB, MIB, "alice");
        byte[] data = pattern((int) (3 * CHUNK), 5);
        writev(client(n), new Run(SLAB, 0, data));
        n.scrubber().tick();
        nanos.addAndGet(TimeUnit.SECONDS.toNanos(1));
        n.scrubber().tick();
        stop(n);
        return data;
    }

    /** Flips a bit of the slab's data file through a channel of its own, as a failing disk might. */
    private void flip(long offset) throws IOException {
        try (FileChannel ch = FileChannel.open(dir.resolve("slab-" + SLAB + ".data"), StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, offset);
            b.put(0, (byte) (b.get(0) ^ 0x01));
            b.rewind();
            ch.write(b, offset);
        }
    }

    /** Every access a client or a copying node may make fails with DATA_CORRUPT, naming the slab and the damage. */
    private void assertQuarantined(MemNode n, String why) throws InterruptedException {
        DirectLink alice = client(n);
        RememException e = assertCode(() -> read(alice, SLAB, 0, 16), ErrorCode.DATA_CORRUPT);
        assertThat(e.getMessage()).contains("slab " + SLAB).contains(why);
        assertCode(() -> writev(alice, new Run(SLAB, 0, new byte[] {1})), ErrorCode.DATA_CORRUPT);
        assertCode(() -> faa(alice, SLAB, 8, 1), ErrorCode.DATA_CORRUPT);
        DirectLink replica = DirectLink.connect("127.0.0.1", n.address().port(), Duration.ofSeconds(2), WAIT);
        toClose.add(replica);
        Tokens.openReplica(replica, clusterSecret, SLAB, 0);
        RememException r = Await.failure(replica.readAsync(Opcode.REPLICA_READ, SLAB, 0,
                MemorySegment.ofArray(new byte[16])), WAIT);
        assertThat(r.code()).isEqualTo(ErrorCode.DATA_CORRUPT);
        assertThat(dir.resolve("slab-" + SLAB + ".data")).as("kept on disk").exists();
    }

    private static List<Restore> restoreDamaged(NodeRegister reg) {
        return reg.held().stream().filter(HeldSlab::damaged).map(h -> new Restore(h.slabId(), "alice", MIB, 0)).toList();
    }

    // ------------------------------------------------------------------ tests

    @Test
    void aFlippedByteInAStoppedNodesFileIsQuarantinedAtRecoveryAndStaysSoAsTheOnlyCopy() throws Exception {
        ScriptedController c = controller();
        nodeWithSealedData(c);
        flip(CHUNK + 1000);
        c.keep = reg -> List.of();
        c.restore = MemNodeIntegrityTest::restoreDamaged; // the only copy: the controller has it checked again
        MemNode n = node(c);
        assertThat(c.nextRegistration().held()).containsExactly(new HeldSlab(SLAB, 0, NodeRegister.DAMAGED));
        Report report = c.nextReport();
        assertThat(report.slabId()).isEqualTo(SLAB);
        assertThat(report.damaged()).isTrue();
        assertThat(report.detail()).contains("still damaged").contains("chunk 1");
        assertQuarantined(n, "chunk 1");
    }

    @Test
    void theScrubFindsAFlippedByteWhileRunningReportsItAndDeletesTheCopyOnlyWhenTold() throws Exception {
        ScriptedController c = controller();
        byte[] data = nodeWithSealedData(c);
        MemNode n = node(c);
        c.nextRegistration();
        DirectLink alice = client(n);
        assertThat(read(alice, SLAB, 0, data.length)).isEqualTo(data);
        flip(2 * CHUNK + 7); // the node maps the same file: it sees the change
        nanos.addAndGet(TimeUnit.SECONDS.toNanos(1));
        n.scrubber().tick();
        Report report = c.nextReport();
        assertThat(report.slabId()).isEqualTo(SLAB);
        assertThat(report.damaged()).isTrue();
        assertThat(report.detail()).contains("chunk 2");
        assertQuarantined(n, "chunk 2");
        nanos.addAndGet(TimeUnit.SECONDS.toNanos(5));
        n.scrubber().tick();
        assertThat(dir.resolve("slab-" + SLAB + ".data")).as("never deleted on the node's own say").exists();
        c.delete(SLAB); // another copy exists: the controller drops this one
        assertThat(dir.resolve("slab-" + SLAB + ".data")).doesNotExist();
        assertThat(dir.resolve("slab-" + SLAB + ".sums")).doesNotExist();
    }

    @Test
    void aDamagedMetaIsRebuiltFromTheControllersRecordAndTheSlabServedAgain() throws Exception {
        ScriptedController c = controller();
        byte[] data = nodeWithSealedData(c);
        Path meta = dir.resolve("slab-" + SLAB + ".meta");
        Files.write(meta, new byte[] {1, 2, 3}); // garbage
        c.keep = reg -> List.of();
        c.restore = MemNodeIntegrityTest::restoreDamaged;
        MemNode n = node(c);
        assertThat(c.nextRegistration().held()).containsExactly(new HeldSlab(SLAB, 0, NodeRegister.DAMAGED));
        Report report = c.nextReport();
        assertThat(report.damaged()).as(report.detail()).isFalse();
        assertThat(report.detail()).contains("restored");
        assertThat(read(client(n), SLAB, 0, data.length)).isEqualTo(data);
        assertThat(Files.size(meta)).as("the meta was written again").isGreaterThan(3);
    }

    @Test
    void aDamagedMetaOverCorruptDataStaysQuarantinedWhenRestored() throws Exception {
        ScriptedController c = controller();
        nodeWithSealedData(c);
        Files.write(dir.resolve("slab-" + SLAB + ".meta"), new byte[0]);
        flip(5);
        c.keep = reg -> List.of();
        c.restore = MemNodeIntegrityTest::restoreDamaged;
        MemNode n = node(c);
        c.nextRegistration();
        Report report = c.nextReport();
        assertThat(report.damaged()).isTrue();
        assertThat(report.detail()).contains("chunk 0");
        assertQuarantined(n, "chunk 0");
    }

    @Test
    void aDamagedCopyNeitherKeptNorRestoredIsDeleted() throws Exception {
        ScriptedController c = controller();
        nodeWithSealedData(c);
        Files.write(dir.resolve("slab-" + SLAB + ".meta"), new byte[] {9});
        c.keep = reg -> List.of(); // another copy exists: the controller drops this one
        node(c);
        assertThat(c.nextRegistration().held()).containsExactly(new HeldSlab(SLAB, 0, NodeRegister.DAMAGED));
        Await.until(() -> !Files.exists(dir.resolve("slab-" + SLAB + ".data")), WAIT, "the copy's files deleted");
        assertThat(dir.resolve("slab-" + SLAB + ".meta")).doesNotExist();
        assertThat(dir.resolve("slab-" + SLAB + ".sums")).doesNotExist();
        assertThat(c.reports).isEmpty();
    }
}
