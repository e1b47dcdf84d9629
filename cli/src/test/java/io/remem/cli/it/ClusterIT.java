package io.remem.cli.it;

import io.remem.client.Dataset;
import io.remem.client.DatasetOptions;
import io.remem.client.FarSegment;
import io.remem.client.Remem;
import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import io.remem.protocol.ClusterStatus;
import io.remem.protocol.DatasetAccess;
import io.remem.protocol.DatasetInfo;
import io.remem.protocol.DatasetOpen;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.Opcode;
import io.remem.protocol.RememException;
import io.remem.protocol.Replica;
import io.remem.protocol.Role;
import io.remem.protocol.Wire;
import io.remem.protocol.auth.Credentials;
import io.remem.transport.DirectLink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The cluster as it runs in production: a controller and three memory nodes, each its own JVM, over real TCP.
 * The runtime under test is this JVM.
 */
class ClusterIT {
    @TempDir
    static Path dir;
    static ProcessCluster cluster;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = ProcessCluster.start(dir, 3, "256m");
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static RememSession connect(String tenant, long cacheBytes) {
        return cluster.connect(RememOptions.builder().tenant(tenant).cacheBytes(cacheBytes).blockSize(4096).build());
    }

    private static long pattern(long i) {
        return i * 0x9E3779B97F4A7C15L + 12345;
    }

    @Test
    void dataSurvivesEvictionAndRefetch() {
        long bytes = 16L << 20; // 64x the cache
        try (RememSession s = connect("eviction", 256 << 10)) {
            FarSegment seg = s.memory().allocate(bytes);
            for (long off = 0; off < bytes; off += 8) {
                seg.set(ValueLayout.JAVA_LONG, off, pattern(off));
            }
            for (int pass = 0; pass < 2; pass++) {
                for (long off = 0; off < bytes; off += 8) {
                    assertThat(seg.get(ValueLayout.JAVA_LONG, off)).as("pass %d, offset %d", pass, off).isEqualTo(pattern(off));
                }
                s.memory().flush();
            }
            var stats = s.memory().stats();
            assertThat(stats.evictions()).as("the cache must have turned over").isGreaterThan(bytes / 4096);
            assertThat(stats.bytesFetched()).as("blocks were fetched back from memory nodes").isGreaterThanOrEqualTo(bytes);
            ClusterStatus status = cluster.status();
            assertThat(status.nodes().stream().mapToLong(ClusterStatus.Node::backedBytes).sum())
                    .as("memory nodes back what was written").isGreaterThanOrEqualTo(0);
            seg.free();
        }
    }

    @Test
    void dataIsOnTheMemoryNodesNotJustInTheCache() {
        long bytes = 4L << 20;
        byte[] written = new byte[(int) bytes];
        new SplittableRandom(3).nextBytes(written);
        long address;
        long allocated;
        try (RememSession writer = connect("handover", 64 << 20);
             Dataset kept = writer.memory().dataset("handover", DatasetOptions.create(bytes))) {
            FarSegment seg = kept.segment();
            FarSegment.copy(written, 0, seg, 0, written.length);
            writer.memory().flush();
            address = seg.address();
            // A dataset outlives the session; a plain allocation is the session's, and goes with it.
            FarSegment plain = writer.memory().allocate(bytes);
            plain.set(ValueLayout.JAVA_LONG, 0, 1);
            writer.memory().flush();
            allocated = plain.address();
        }
        // A fresh runtime with an empty cache must read it all from the memory nodes.
        try (RememSession reader = connect("handover", 1 << 20)) {
            byte[] back = readThroughRawLinks(reader, address, written.length, "handover");
            assertThat(back).isEqualTo(written);
            assertThatThrownBy(() -> readThroughRawLinks(reader, allocated, 8, "handover"))
                    .as("the closed session's allocation was freed").hasMessageContaining("no memory node holds slab");
            reader.memory().deleteDataset("handover", false);
            assertThatThrownBy(() -> readThroughRawLinks(reader, address, 8, "handover"))
                    .as("a deleted dataset's slabs are gone").hasMessageContaining("no memory node holds slab");
        }
    }

    /** Reads far memory directly from the memory nodes, bypassing any cache, as tenant {@code tenant}. */
    private static byte[] readThroughRawLinks(RememSession session, long address, int length, String tenant) {
        ClusterStatus status = cluster.status();
        int shift = status.slabShift();
        long slab = address >>> shift;
        long offset = address & ((1L << shift) - 1);
        byte[] token = tokenOf(tenant);
        for (ClusterStatus.Node n : status.nodes()) {
            try (DirectLink link = DirectLink.connect(n.host(), n.port(), Duration.ofSeconds(3), Duration.ofSeconds(10));
                 Arena arena = Arena.ofConfined()) {
                link.hello(Role.CLIENT, Credentials.ofToken(tenant, () -> token), 0, 0);
                MemorySegment dst = arena.allocate(length);
                try {
                    link.read(slab, offset, dst);
                    return dst.toArray(ValueLayout.JAVA_BYTE);
                } catch (RememException e) {
                    assertThat(e.code()).isEqualTo(ErrorCode.NO_SUCH_SLAB);
                }
            }
        }
        throw new AssertionError("no memory node holds slab " + slab);
    }

    /** The session token a runtime of {@code tenant} would get, for raw links to memory nodes. */
    private static byte[] tokenOf(String tenant) {
        try (ControllerProbe probe = new ControllerProbe(cluster.controllerAddress(), tenant, cluster.secretOf(tenant))) {
            return probe.token();
        }
    }

    @Test
    void manyPlatformAndVirtualThreadsAtOnce() throws Exception {
        int platform = 8;
        int virtual = 64;
        int threads = platform + virtual;
        long words = 256 * 1024; // 2 MiB, 8x the cache; threads interleave by word, so they share every block
        try (RememSession s = connect("threads", 256 << 10)) {
            FarSegment seg = s.memory().allocate(words * 8);
            ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
            List<Thread> all = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                Runnable work = () -> {
                    SplittableRandom random = new SplittableRandom(id);
                    long[] model = new long[(int) (words / threads)];
                    try {
                        for (int step = 0; step < 3_000; step++) {
                            int local = random.nextInt(model.length);
                            long off = ((long) local * threads + id) * 8;
                            if (random.nextInt(3) == 0) {
                                long v = random.nextLong();
                                seg.set(ValueLayout.JAVA_LONG, off, v);
                                model[local] = v;
                            } else if (seg.get(ValueLayout.JAVA_LONG, off) != model[local]) {
                                problems.add("thread " + id + " word " + off / 8);
                                return;
                            }
                        }
                    } catch (Throwable e) {
                        problems.add("thread " + id + ": " + e);
                    }
                };
                all.add(t < platform ? Thread.ofPlatform().start(work) : Thread.ofVirtual().start(work));
            }
            for (Thread t : all) {
                t.join();
            }
            assertThat(problems).isEmpty();
            assertThat(s.memory().stats().accesses()).isEqualTo(threads * 3_000L);
            seg.free();
        }
    }

    @Test
    void oneTenantCannotTouchAnothersSlab() throws Exception {
        try (RememSession alice = connect("alice", 1 << 20)) {
            FarSegment secret = alice.memory().allocate(1 << 20);
            secret.set(ValueLayout.JAVA_LONG, 0, 0xA11CEL);
            alice.memory().flush();
            ClusterStatus status = cluster.status();
            long slab = secret.address() >>> status.slabShift();
            byte[] token = tokenOf("mallory");
            for (ClusterStatus.Node n : status.nodes()) {
                try (DirectLink mallory = DirectLink.connect(n.host(), n.port(), Duration.ofSeconds(3), Duration.ofSeconds(10));
                     Arena arena = Arena.ofConfined()) {
                    mallory.hello(Role.CLIENT, Credentials.ofToken("mallory", () -> token), 0, 0);
                    // A slab that is alice's and one that exists nowhere must look exactly alike to mallory.
                    RememException theirs = catchThrowableOfType(RememException.class,
                            () -> mallory.read(slab, 0, arena.allocate(64)));
                    RememException nobodys = catchThrowableOfType(RememException.class,
                            () -> mallory.read(slab ^ 0x5A5A, 0, arena.allocate(64)));
                    assertThat(theirs).as("mallory read alice's slab on node " + n.nodeId()).isNotNull();
                    assertThat(theirs.code()).isEqualTo(ErrorCode.NO_SUCH_SLAB);
                    assertThat(theirs.detail().replace(Long.toString(slab), "#"))
                            .isEqualTo(nobodys.detail().replace(Long.toString(slab ^ 0x5A5A), "#"));
                    ByteBuffer run = ByteBuffer.allocate(Wire.WRITE_RUN_HEADER_BYTES + 8);
                    run.putLong(slab).putLong(0).putInt(8).putLong(-1).flip();
                    assertThatThrownBy(() -> mallory.call(Opcode.WRITEV, 0, 0, 1, run, null, (h, b) -> null))
                            .isInstanceOfSatisfying(RememException.class,
                                    e -> assertThat(e.code()).isEqualTo(ErrorCode.NO_SUCH_SLAB));
                }
            }
            // Nor through the controller: another tenant can neither look up nor free alice's slabs.
            try (ControllerProbe mallory = new ControllerProbe(cluster.controllerAddress(), "mallory",
                    cluster.secretOf("mallory"))) {
                assertThat(mallory.lookup(slab)).isEqualTo(ErrorCode.NO_SUCH_SLAB);
                assertThat(mallory.free(slab)).isEqualTo(ErrorCode.NO_SUCH_SLAB);
            }
            assertThat(secret.get(ValueLayout.JAVA_LONG, 0)).isEqualTo(0xA11CEL);
            secret.free();
        }
    }

    @Test
    void aGrantOpensADatasetToAnotherTenantAsFarAsItGoesAndTheMemoryNodesHoldToIt() throws Exception {
        long bytes = 4L << 20;
        try (RememSession alice = connect("alice-ds", 1 << 20);
             RememSession bob = connect("bob-ds", 1 << 20);
             Dataset shared = alice.memory().dataset("shared", DatasetOptions.create(bytes))) {
            for (long off = 0; off < bytes; off += 4096) {
                shared.segment().set(ValueLayout.JAVA_LONG, off, off * 3 + 1);
            }
            alice.memory().flush();
            assertThatThrownBy(() -> bob.memory().dataset("alice-ds", "shared", DatasetOptions.open()))
                    .isInstanceOfSatisfying(RememException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.NO_SUCH_DATASET));

            alice.memory().grantDataset("shared", "bob-ds", DatasetAccess.READ);
            assertThat(alice.memory().datasets().getFirst().grants()).containsEntry("bob-ds", DatasetAccess.READ);
            try (Dataset seen = bob.memory().dataset("alice-ds", "shared", DatasetOptions.open())) {
                assertThat(seen.access()).isEqualTo(DatasetAccess.READ);
                assertThat(seen.segment().isReadOnly()).isTrue();
                for (long off = 0; off < bytes; off += 4096) { // 4 MiB through a 1 MiB cache: read at the memory nodes
                    assertThat(seen.segment().get(ValueLayout.JAVA_LONG, off)).isEqualTo(off * 3 + 1);
                }
                assertThatThrownBy(() -> seen.segment().set(ValueLayout.JAVA_LONG, 0, 7))
                        .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("read-only");
                assertThat(bob.memory().datasets()).extracting(DatasetInfo::name).containsExactly("shared");
            }

            // The memory nodes, not the runtime, enforce it: bob's own session token reaches nothing without the
            // grant; with it, bob reads; a read grant writes nothing; a forged grant is refused.
            long slab = shared.segment().address() >>> cluster.status().slabShift();
            DatasetInfo.Opened opened;
            try (ControllerProbe probe = new ControllerProbe(cluster.controllerAddress(), "bob-ds", cluster.secretOf("bob-ds"))) {
                opened = probe.open(new DatasetOpen("alice-ds", "shared", DatasetOpen.Disposition.OPEN, 0, 0));
            }
            byte[] grant = opened.grant();
            byte[] forged = grant.clone();
            forged[forged.length - 1] ^= 1;
            byte[] token = tokenOf("bob-ds");
            Replica home = opened.run().slabs().getFirst().replicas().getFirst();
            try (DirectLink raw = DirectLink.connect(home.host(), home.port(), Duration.ofSeconds(3), Duration.ofSeconds(10));
                 Arena arena = Arena.ofConfined()) {
                raw.hello(Role.CLIENT, Credentials.ofToken("bob-ds", () -> token), 0, 0);
                MemorySegment word = arena.allocate(8);
                assertThatThrownBy(() -> raw.read(slab, 0, word)).isInstanceOfSatisfying(RememException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.NO_SUCH_SLAB));
                raw.call(Opcode.SLAB_GRANT, 0, 0, 0, grantBody(grant), null, (h, b) -> null);
                raw.read(slab, 4096, word);
                assertThat(word.get(ValueLayout.JAVA_LONG, 0)).isEqualTo(4096 * 3 + 1);
                ByteBuffer run = ByteBuffer.allocate(Wire.WRITE_RUN_HEADER_BYTES + 8);
                run.putLong(slab).putLong(0).putInt(8).putLong(-1).flip();
                assertThatThrownBy(() -> raw.call(Opcode.WRITEV, 0, 0, 1, run, null, (h, b) -> null))
                        .isInstanceOfSatisfying(RememException.class,
                                e -> assertThat(e.code()).isEqualTo(ErrorCode.NO_SUCH_SLAB));
                // Nor an atomic, which writes too.
                ByteBuffer faa = ByteBuffer.allocate(16).putLong(12345).putLong(1).flip();
                assertThatThrownBy(() -> raw.call(Opcode.FAA, slab, 0, 8, faa, null, (h, b) -> b.readLong()))
                        .isInstanceOfSatisfying(RememException.class,
                                e -> assertThat(e.code()).isEqualTo(ErrorCode.NO_SUCH_SLAB));
                ByteBuffer cas = ByteBuffer.allocate(24).putLong(12346).putLong(1).putLong(2).flip();
                assertThatThrownBy(() -> raw.call(Opcode.CAS, slab, 0, 8, cas, null, (h, b) -> b.readLong()))
                        .isInstanceOfSatisfying(RememException.class,
                                e -> assertThat(e.code()).isEqualTo(ErrorCode.NO_SUCH_SLAB));
                raw.read(slab, 0, word);
                assertThat(word.get(ValueLayout.JAVA_LONG, 0)).as("unchanged").isEqualTo(1);
            }
            try (DirectLink raw = DirectLink.connect(home.host(), home.port(), Duration.ofSeconds(3), Duration.ofSeconds(10))) {
                raw.hello(Role.CLIENT, Credentials.ofToken("bob-ds", () -> token), 0, 0);
                assertThatThrownBy(() -> raw.call(Opcode.SLAB_GRANT, 0, 0, 0, grantBody(forged), null, (h, b) -> null))
                        .isInstanceOfSatisfying(RememException.class,
                                e -> assertThat(e.code()).isIn(ErrorCode.AUTHENTICATION_FAILED, ErrorCode.CONNECTION_CLOSED));
            }

            // Read-write: bob's writes reach the dataset, and alice's next session reads them.
            alice.memory().grantDataset("shared", "bob-ds", DatasetAccess.READ_WRITE);
            try (Dataset rw = bob.memory().dataset("alice-ds", "shared", DatasetOptions.open())) {
                rw.segment().set(ValueLayout.JAVA_LONG, 8, 0xB0B);
            }
            try (RememSession again = connect("alice-ds", 1 << 20);
                 Dataset mine = again.memory().dataset("shared", DatasetOptions.open())) {
                assertThat(mine.segment().get(ValueLayout.JAVA_LONG, 8)).isEqualTo(0xB0B);
            }

            alice.memory().grantDataset("shared", "bob-ds", DatasetAccess.NONE);
            assertThatThrownBy(() -> bob.memory().dataset("alice-ds", "shared", DatasetOptions.open()))
                    .isInstanceOfSatisfying(RememException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.NO_SUCH_DATASET));
            assertThat(bob.memory().datasets()).isEmpty();
        }
    }

    private static ByteBuffer grantBody(byte[] grant) {
        return ByteBuffer.allocate(2 + grant.length).putShort((short) grant.length).put(grant).flip();
    }

    @Test
    void malformedFramesAreRejectedAndTheNodeKeepsServingOthers() throws Exception {
        ClusterStatus status = cluster.status();
        ClusterStatus.Node target = status.nodes().getFirst();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong verified = new AtomicLong();
        ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
        try (RememSession s = connect("bystander", 128 << 10)) {
            FarSegment seg = s.memory().allocate(4L << 20);
            Thread workload = Thread.ofPlatform().start(() -> {
                try {
                    for (long i = 0; !stop.get(); i++) {
                        long off = (i * 4096 + 8 * (i % 512)) % seg.byteSize();
                        seg.set(ValueLayout.JAVA_LONG, off, pattern(i));
                        if (seg.get(ValueLayout.JAVA_LONG, off) != pattern(i)) {
                            problems.add("read back wrong value at " + off);
                        }
                        verified.incrementAndGet();
                    }
                } catch (Throwable e) {
                    problems.add(e.toString());
                }
            });
            // A wrong protocol version, an absurd length, and plain garbage: each gets an error (or at least a
            // close), never a crash.
            assertRejected(target, frame((byte) 99, (byte) Opcode.READ.code(), 0));
            assertRejected(target, ByteBuffer.allocate(4).putInt(0x7FFFFFFF).flip());
            byte[] garbage = new byte[4096];
            new SplittableRandom(9).nextBytes(garbage);
            garbage[0] = 0;
            garbage[1] = 0;
            garbage[2] = 0;
            garbage[3] = 8; // a frame shorter than any header
            assertRejected(target, ByteBuffer.wrap(garbage));
            long before = verified.get();
            Thread.sleep(500);
            stop.set(true);
            workload.join();
            assertThat(problems).isEmpty();
            assertThat(verified.get()).as("the workload kept going during and after the attacks").isGreaterThan(before);
            seg.free();
        }
        assertThat(cluster.nodes().getFirst().isAlive()).isTrue();
        assertThat(cluster.awaitLiveNodes(3).nodes()).hasSize(3);
    }

    private static ByteBuffer frame(byte version, byte opcode, int bodyBytes) {
        ByteBuffer b = ByteBuffer.allocate(Wire.FRAME_OVERHEAD + bodyBytes);
        b.putInt(Wire.HEADER_BYTES + bodyBytes).put(version).put(opcode).putShort((short) 0).putInt(0)
                .putLong(77).putInt(0).putLong(0).putLong(0).putInt(64);
        return b.position(b.capacity()).flip();
    }

    /** Sends {@code bytes} to the node; expects an error response (if any) and then the connection closed. */
    private static void assertRejected(ClusterStatus.Node node, ByteBuffer bytes) throws IOException {
        try (SocketChannel ch = SocketChannel.open(new InetSocketAddress(node.host(), node.port()))) {
            ch.socket().setSoTimeout(5000);
            while (bytes.hasRemaining()) {
                ch.write(bytes);
            }
            var in = ch.socket().getInputStream();
            try {
                byte[] response = in.readNBytes(Wire.FRAME_OVERHEAD);
                if (response.length == Wire.FRAME_OVERHEAD) {
                    ByteBuffer r = ByteBuffer.wrap(response);
                    assertThat(r.getShort(6) & Wire.FLAG_RESPONSE).as("a response").isEqualTo(Wire.FLAG_RESPONSE);
                    assertThat(r.getInt(8)).as("status is an error code").isNotZero();
                    in.readNBytes(r.getInt(0) - Wire.HEADER_BYTES);
                }
                assertThat(in.read()).as("the server closed the connection").isEqualTo(-1);
            } catch (SocketException reset) {
                // Closing with our unread garbage still queued makes the server's kernel reset the connection:
                // closed all the same.
                assertThat(reset.getMessage()).containsIgnoringCase("reset");
            }
        }
    }
}
