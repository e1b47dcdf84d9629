package io.remem.cli.it;

import io.remem.client.FarSegment;
import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.RememException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * Slab data at rest going bad under real memory-node processes with data directories: a damaged copy is dropped and
 * made again from a good one, at a restart or when the running scrub finds it, and clients read the right data
 * throughout; a damaged only copy is quarantined, counted in the status, refused with DATA_CORRUPT, and kept on disk.
 *
 * <p>The test looks into the nodes' files as an operator could: it waits until a slab's chunks are sealed (their state
 * words in {@code slab-<id>.sums}), and flips a bit of {@code slab-<id>.data} through a channel of its own.
 */
class IntegrityIT {
    private static final int SLAB = 4 << 20;
    private static final long CHUNK = 64 << 10;
    /** Where the bit is flipped: well inside the data, in a chunk the test saw sealed. */
    private static final long FLIP_AT = 2 * SLAB / 3 + 123;

    @TempDir
    Path dir;

    /** A session whose cache (1 MiB) cannot hold a slab, so reading one back reaches the memory nodes. */
    private static RememSession connect(ProcessCluster cluster, String tenant, Duration failover) {
        return cluster.connect(RememOptions.builder().tenant(tenant).cacheBytes(1 << 20).failoverTimeout(failover)
                .build());
    }

    private static byte[] pattern() {
        byte[] b = new byte[SLAB];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (i * 31 + 7 + (i >>> 12));
        }
        return b;
    }

    /** Writes {@link #pattern()} to a new slab-sized segment and waits until the memory nodes hold it. */
    private static FarSegment written(RememSession s, int replication, byte[] data) {
        FarSegment seg = s.memory().allocate(SLAB, replication);
        FarSegment.copy(data, 0, seg, 0, data.length);
        s.memory().flush();
        return seg;
    }

    private static byte[] readAll(FarSegment seg) {
        byte[] out = new byte[SLAB];
        FarSegment.copy(seg, 0, out, 0, out.length);
        return out;
    }

    /** The data file in {@code nodeDir} that holds {@code data}: the one slab the test wrote. */
    private static Path slabFile(Path nodeDir, byte[] data) throws IOException {
        byte[] head = Arrays.copyOf(data, 4096);
        try (Stream<Path> files = Files.list(nodeDir)) {
            List<Path> found = files.filter(p -> p.getFileName().toString().endsWith(".data"))
                    .filter(p -> startsWith(p, head)).toList();
            assertThat(found).as("data files in " + nodeDir + " holding the test's data").hasSize(1);
            return found.getFirst();
        }
    }

    private static boolean startsWith(Path file, byte[] head) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(head.length);
            ch.read(b, 0);
            return Arrays.equals(b.array(), head);
        } catch (IOException e) {
            return false; // deleted meanwhile
        }
    }

    private static Path sibling(Path dataFile, String suffix) {
        String name = dataFile.getFileName().toString();
        return dataFile.resolveSibling(name.substring(0, name.length() - ".data".length()) + suffix);
    }

    /** Waits until the node's scrub has sealed every chunk of the slab (state 1 in its sums file). */
    private static void awaitSealed(Path dataFile) throws InterruptedException, IOException {
        Path sums = sibling(dataFile, ".sums");
        long deadline = System.nanoTime() + ProcessCluster.START.toNanos();
        while (true) {
            ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(sums)).order(ByteOrder.LITTLE_ENDIAN);
            long sealed = 0;
            for (int c = 0; c < SLAB / CHUNK; c++) {
                sealed += b.getInt(16 + 8 * c + 4) == 1 ? 1 : 0;
            }
            if (sealed == SLAB / CHUNK) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError(sealed + " of " + SLAB / CHUNK + " chunks of " + dataFile + " sealed");
            }
            Thread.sleep(100);
        }
    }

    /** Flips one bit of {@code file} at {@link #FLIP_AT}, as a failing disk might. */
    private static void flip(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, FLIP_AT);
            b.put(0, (byte) (b.get(0) ^ 0x08));
            ch.write(b.rewind(), FLIP_AT);
        }
    }

    private static void assertHolds(Path file, byte[] data) throws IOException {
        byte[] onDisk = Arrays.copyOf(Files.readAllBytes(file), data.length);
        assertThat(Arrays.mismatch(onDisk, data)).as("first byte of " + file + " that differs (-1: none)").isEqualTo(-1);
    }

    @Test
    void aCopyDamagedWhileItsNodeWasDownIsDroppedAndCopiedAgainFromTheGoodOne() throws Exception {
        try (ProcessCluster cluster = ProcessCluster.start(dir, 0, "64m", "--slab-size", "4m")) {
            Path aDir = dir.resolve("a-data");
            Path bDir = dir.resolve("b-data");
            RememProcess a = cluster.startNode("64m", "--data-dir", aDir.toString());
            RememProcess b = cluster.startNode("64m", "--data-dir", bDir.toString());
            cluster.awaitLiveNodes(2);
            byte[] data = pattern();
            try (RememSession s = connect(cluster, "twice", Duration.ofSeconds(60))) {
                FarSegment seg = written(s, 2, data);
                Path onB = slabFile(bDir, data);
                awaitSealed(onB);
                b.close();
                flip(onB);
                cluster.awaitStatus(st -> st.repair().underReplicated() == 1, "b's copy dropped while it is away");
                assertThat(readAll(seg)).as("read from a while b is down").isEqualTo(data);

                RememProcess back = cluster.startNode("64m", "--data-dir", bDir.toString());
                back.await("is damaged on disk: chunk " + FLIP_AT / CHUNK, ProcessCluster.START);
                cluster.awaitStatus(st -> st.repair().done() && st.repair().copiedSlabs() >= 1,
                        "the slab copied to b again");
                assertHolds(slabFile(bDir, data), data);
                assertThat(readAll(seg)).isEqualTo(data);
                assertThat(cluster.status().repair().quarantined()).isZero();

                a.kill(); // from now on every read comes from b's new copy
                assertThat(readAll(seg)).as("read from b's new copy").isEqualTo(data);
            }
        }
    }

    @Test
    void aCopyTheRunningScrubFindsDamagedIsDroppedAndCopiedAgain() throws Exception {
        try (ProcessCluster cluster = ProcessCluster.start(dir, 0, "64m", "--slab-size", "4m")) {
            Path bDir = dir.resolve("b-data");
            RememProcess a = cluster.startNode("64m", "--data-dir", dir.resolve("a-data").toString());
            RememProcess b = cluster.startNode("64m", "--data-dir", bDir.toString(), "--scrub-rate", "64m");
            cluster.awaitLiveNodes(2);
            byte[] data = pattern();
            try (RememSession s = connect(cluster, "scrubbed", Duration.ofSeconds(60))) {
                FarSegment seg = written(s, 2, data);
                Path onB = slabFile(bDir, data);
                awaitSealed(onB);
                flip(onB); // b maps the same file: its scrub sees the change
                b.await("is quarantined", ProcessCluster.START);
                cluster.controller().await("is damaged \\(.*\\); dropped it", ProcessCluster.START);
                cluster.awaitStatus(st -> st.repair().done() && st.repair().copiedSlabs() >= 1,
                        "the slab copied to b again");
                assertHolds(slabFile(bDir, data), data);
                assertThat(readAll(seg)).isEqualTo(data);
                a.kill();
                assertThat(readAll(seg)).as("read from b's new copy").isEqualTo(data);
            }
        }
    }

    @Test
    void aDamagedOnlyCopyIsQuarantinedRefusedWithDataCorruptAndKept() throws Exception {
        try (ProcessCluster cluster = ProcessCluster.start(dir, 0, "64m", "--slab-size", "4m")) {
            Path nDir = dir.resolve("n-data");
            RememProcess n = cluster.startNode("64m", "--data-dir", nDir.toString());
            cluster.awaitLiveNodes(1);
            byte[] data = pattern();
            try (RememSession s = connect(cluster, "once", Duration.ofSeconds(3))) {
                FarSegment seg = written(s, 1, data);
                Path file = slabFile(nDir, data);
                awaitSealed(file);
                n.close();
                flip(file);
                RememProcess back = cluster.startNode("64m", "--data-dir", nDir.toString());
                cluster.awaitStatus(st -> st.repair().quarantined() == 1, "the only copy quarantined");
                back.await("cannot be restored: .*chunk " + FLIP_AT / CHUNK, ProcessCluster.START);

                Throwable t = catchThrowable(() -> readAll(seg));
                assertThat(t).as("reading the damaged copy").isNotNull();
                RememException e = rememCause(t);
                assertThat(e.code()).as(e.getMessage()).isEqualTo(ErrorCode.DATA_CORRUPT);
                assertThat(cluster.status().repair().quarantined()).isEqualTo(1);
                for (String suffix : List.of(".data", ".sums", ".meta")) {
                    assertThat(sibling(file, suffix)).as("kept for whoever looks into it").exists();
                }
            }
        }
    }

    private static RememException rememCause(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof RememException r) {
                return r;
            }
        }
        throw new AssertionError("no RememException behind " + t, t);
    }
}
