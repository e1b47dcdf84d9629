package io.remem.memnode;

import io.remem.protocol.ErrorCode;
import io.remem.protocol.RememException;
import io.remem.protocol.auth.NodeKey;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SlabFilesTest {
    private static final long MIB = 1L << 20;
    /** Byte offsets in a slab meta file: magic, version, slab id, size, epoch, syncing, tenant length, tenant, crc. */
    private static final int VERSION_AT = 4;
    private static final int SIZE_AT = 14;
    private static final int EPOCH_AT = 22;
    private static final int TENANT_AT = 32;

    @TempDir
    Path dir;

    private static RememException assertCode(ThrowingCallable call, ErrorCode code) {
        Throwable t = catchThrowable(call);
        assertThat(t).as("expected RememException " + code).isInstanceOf(RememException.class);
        assertThat(((RememException) t).code()).isEqualTo(code);
        return (RememException) t;
    }

    /** Creates a slab the way a memory node does: data and sums files first, then the meta that makes it exist. */
    private static SlabMeta create(SlabFiles files, long id, long size) {
        try (Arena arena = Arena.ofShared()) {
            files.map(id, size, arena);
            files.mapSums(id, (int) (size / Slab.CHUNK_SIZE), arena, true);
        }
        SlabMeta meta = new SlabMeta(id, "tenant-" + id, size, id * 10, id % 2 == 0);
        files.writeMeta(meta);
        return meta;
    }

    private List<String> names() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).toList();
        }
    }

    @Test
    void nodeIdSurvivesReopen() throws IOException {
        try (SlabFiles files = SlabFiles.open(dir)) {
            assertThat(files.dir()).isEqualTo(dir);
            assertThat(files.nodeId()).isZero();
            files.saveNodeId(42);
            assertThat(files.nodeId()).isEqualTo(42);
        }
        try (SlabFiles files = SlabFiles.open(dir)) {
            assertThat(files.nodeId()).isEqualTo(42);
            files.saveNodeId(7);
        }
        try (SlabFiles files = SlabFiles.open(dir)) {
            assertThat(files.nodeId()).isEqualTo(7);
            assertCode(() -> files.saveNodeId(0), ErrorCode.INVALID_ARGUMENT);
        }
        assertThat(names()).containsExactlyInAnyOrder("lock", "node.meta");
    }

    /**
     * The node key is the node's identity to the controller: made once, readable by the owner only, the same pair on
     * every later open of the directory.
     */
    @Test
    void nodeKeyIsMadeOnceOwnerOnlyAndTheSameAfterReopen() throws IOException {
        KeyPair first;
        try (SlabFiles files = SlabFiles.open(dir)) {
            first = files.nodeKey();
            assertThat(NodeKey.encodePublic(files.nodeKey())).as("asked again: the same key")
                    .isEqualTo(NodeKey.encodePublic(first));
        }
        Path key = dir.resolve("node.key");
        byte[] stored = Files.readAllBytes(key);
        if (Files.getFileStore(key).supportsFileAttributeView(PosixFileAttributeView.class)) {
            assertThat(Files.getPosixFilePermissions(key)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        }
        try (SlabFiles files = SlabFiles.open(dir)) {
            KeyPair again = files.nodeKey();
            assertThat(NodeKey.encodePublic(again)).isEqualTo(NodeKey.encodePublic(first));
            // The private half came back too: what it signs, the first public key verifies.
            byte[] binding = new byte[32];
            assertThat(NodeKey.verify(NodeKey.encodePublic(first), NodeKey.sign(again, binding, 3), binding, 3)).isTrue();
        }
        assertThat(Files.readAllBytes(key)).as("not rewritten").isEqualTo(stored);
        assertThat(names()).containsExactlyInAnyOrder("lock", "node.key");
    }

    /** A damaged key must not be replaced by a new one: that would strand the node's id and slabs under a stranger. */
    @Test
    void aDamagedNodeKeyIsAnErrorNotANewKey() throws IOException {
        try (SlabFiles files = SlabFiles.open(dir)) {
            files.nodeKey();
        }
        Path key = dir.resolve("node.key");
        flipByte(key, 20);
        byte[] damaged = Files.readAllBytes(key);
        try (SlabFiles files = SlabFiles.open(dir)) {
            RememException e = assertCode(files::nodeKey, ErrorCode.INTERNAL);
            assertThat(e.getMessage()).contains(key.toString());
        }
        assertThat(Files.readAllBytes(key)).as("left as it was, for the operator").isEqualTo(damaged);
    }

    @Test
    void damagedNodeIdFailsOpenAndReleasesTheLock() throws IOException {
        try (SlabFiles files = SlabFiles.open(dir)) {
            files.saveNodeId(42);
        }
        Path nodeMeta = dir.resolve("node.meta");
        flipByte(nodeMeta, 8);
        RememException e = assertCode(() -> SlabFiles.open(dir), ErrorCode.INTERNAL);
        assertThat(e.getMessage()).contains(nodeMeta.toString());
        Files.delete(nodeMeta);
        try (SlabFiles files = SlabFiles.open(dir)) { // the failed open must not have kept the lock
            assertThat(files.nodeId()).isZero();
        }
    }

    @Test
    void metasRoundTripSortedById() {
        List<SlabMeta> created;
        try (SlabFiles files = SlabFiles.open(dir)) {
            created = List.of(create(files, 10, MIB), create(files, 2, 3 * MIB), create(files, 33, MIB),
                    create(files, 4, 64 << 10), create(files, Long.MAX_VALUE, MIB));
            files.writeMeta(new SlabMeta(33, "x".repeat(64), MIB, Long.MIN_VALUE, true)); // replaces the first
        }
        try (SlabFiles files = SlabFiles.open(dir)) {
            assertThat(files.recover().slabs()).containsExactly(created.get(1), created.get(3), created.get(0),
                    new SlabMeta(33, "x".repeat(64), MIB, Long.MIN_VALUE, true), created.get(4));
            assertThat(files.recover().slabs()).hasSize(5); // recovering twice changes nothing
            assertThat(files.recover().damaged()).isEmpty();
        }
    }

    @Test
    void writeMetaRejectsWhatRecoverWouldDrop() throws IOException {
        try (SlabFiles files = SlabFiles.open(dir)) {
            for (long size : new long[] {0, -MIB, MIB + 1, 32 << 10, (1L << 32) + MIB}) {
                assertCode(() -> files.writeMeta(new SlabMeta(1, "alice", size, 0, false)), ErrorCode.INVALID_ARGUMENT);
            }
            assertCode(() -> files.writeMeta(new SlabMeta(1, "a".repeat(65), MIB, 0, false)), ErrorCode.INVALID_ARGUMENT);
            assertCode(() -> files.writeMeta(new SlabMeta(-1, "alice", MIB, 0, false)), ErrorCode.INVALID_ARGUMENT);
            files.writeMeta(new SlabMeta(1, "alice", 1L << 32, 0, false)); // the largest slab is fine
        }
        assertThat(names()).containsExactlyInAnyOrder("lock", "slab-1.meta");
    }

    @Test
    void mappedWritesSurviveRestartAndUnwrittenBytesReadZero() {
        long size = 2 * MIB;
        try (SlabFiles files = SlabFiles.open(dir)) {
            try (Arena arena = Arena.ofShared()) {
                MemorySegment slab = files.map(5, size, arena);
                slab.set(ValueLayout.JAVA_LONG, 0, 0x1122334455667788L);
                slab.set(ValueLayout.JAVA_BYTE, MIB + 3, (byte) 0x5a);
                slab.set(ValueLayout.JAVA_BYTE, size - 1, (byte) 0x7f);
            }
            files.writeMeta(new SlabMeta(5, "alice", size, 1, false));
        }
        try (SlabFiles files = SlabFiles.open(dir); Arena arena = Arena.ofShared()) {
            assertThat(files.recover().slabs()).extracting(SlabMeta::slabId).containsExactly(5L);
            MemorySegment slab = files.map(5, size, arena);
            assertThat(slab.byteSize()).isEqualTo(size);
            assertThat(slab.get(ValueLayout.JAVA_LONG, 0)).isEqualTo(0x1122334455667788L);
            assertThat(slab.get(ValueLayout.JAVA_BYTE, MIB + 3)).isEqualTo((byte) 0x5a);
            assertThat(slab.get(ValueLayout.JAVA_BYTE, size - 1)).isEqualTo((byte) 0x7f);
            long nonZero = 0;
            for (long i = 0; i < size; i++) {
                if (slab.get(ValueLayout.JAVA_BYTE, i) != 0) {
                    nonZero++;
                }
            }
            assertThat(nonZero).as("bytes never written must read zero").isEqualTo(8 + 2);
        }
    }

    @Test
    void mapGrowsAShorterFileAndKeepsItsContents() throws IOException {
        try (SlabFiles files = SlabFiles.open(dir); Arena arena = Arena.ofShared()) {
            files.map(3, MIB, arena).set(ValueLayout.JAVA_INT, 100, 12345);
            MemorySegment grown = files.map(3, 4 * MIB, arena);
            assertThat(Files.size(dir.resolve("slab-3.data"))).isEqualTo(4 * MIB);
            assertThat(grown.get(ValueLayout.JAVA_INT, 100)).isEqualTo(12345);
            assertThat(grown.get(ValueLayout.JAVA_INT, 3 * MIB)).isZero();
            assertCode(() -> files.map(3, MIB + 1, arena), ErrorCode.INVALID_ARGUMENT);
        }
    }

    @Test
    void aLargeSlabIsSparseAndMapsQuickly() throws Exception {
        long size = 64 * MIB;
        Path data = dir.resolve("slab-1.data");
        try (SlabFiles files = SlabFiles.open(dir); Arena arena = Arena.ofShared()) {
            long start = System.nanoTime();
            MemorySegment slab = files.map(1, size, arena);
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(millis).as("mapping 64 MiB must not write it").isLessThan(1000);
            slab.set(ValueLayout.JAVA_BYTE, size / 2, (byte) 1);
        }
        assertThat(Files.size(data)).isEqualTo(size);
        long allocatedKib = diskUsageKib(data);
        assertThat(allocatedKib).as("du -k (coreutils) must run to measure the file's blocks").isNotNegative();
        assertThat(allocatedKib).as("disk used by a 64 MiB slab with one byte written").isLessThan(1024);
    }

    /** What {@code du -k} reports, or -1 if it cannot be run. */
    private static long diskUsageKib(Path file) throws InterruptedException {
        try {
            Process du = new ProcessBuilder("du", "-k", file.toString()).redirectErrorStream(true).start();
            String out = new String(du.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return du.waitFor() == 0 ? Long.parseLong(out.split("\\s+")[0]) : -1;
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    /** Opens a store holding slabs 1 and 2, applies {@code damage}, and checks recover() finds slab 1 only. */
    private SlabFiles.Recovery recoverAfter(Damage damage) throws IOException {
        SlabMeta keep;
        try (SlabFiles files = SlabFiles.open(dir)) {
            keep = create(files, 1, MIB);
            create(files, 2, MIB);
        }
        damage.apply(dir.resolve("slab-2.meta"), dir.resolve("slab-2.data"));
        try (SlabFiles files = SlabFiles.open(dir)) {
            SlabFiles.Recovery found = files.recover();
            assertThat(found.slabs()).containsExactly(keep);
            return found;
        }
    }

    /** As {@link #recoverAfter}, and slab 2 is gone: nothing of it was left worth keeping. */
    private void assertSlab2Dropped(Damage damage) throws IOException {
        assertThat(recoverAfter(damage).damaged()).isEmpty();
        assertThat(names()).containsExactlyInAnyOrder("lock", "slab-1.meta", "slab-1.data", "slab-1.sums");
    }

    /**
     * As {@link #recoverAfter}, and slab 2 is reported damaged with its files kept: its data may be the only copy, and
     * the controller may know what its meta said.
     */
    private void assertSlab2KeptDamaged(Damage damage, String why) throws IOException {
        SlabFiles.Recovery found = recoverAfter(damage);
        assertThat(found.damaged()).containsOnlyKeys(2L);
        assertThat(found.damaged().get(2L)).contains(why);
        assertThat(names()).as("every file kept").containsExactlyInAnyOrder("lock", "slab-1.meta", "slab-1.data",
                "slab-1.sums", "slab-2.meta", "slab-2.data", "slab-2.sums");
    }

    private interface Damage {
        void apply(Path meta, Path data) throws IOException;
    }

    @Test
    void recoverKeepsAnUndamagedSlab() throws IOException {
        try (SlabFiles files = SlabFiles.open(dir)) {
            create(files, 2, MIB);
        }
        reseal(dir.resolve("slab-2.meta"), b -> b); // proves reseal() alone leaves a valid meta
        try (SlabFiles files = SlabFiles.open(dir)) {
            assertThat(files.recover().slabs()).extracting(SlabMeta::slabId).containsExactly(2L);
        }
    }

    @Test
    void recoverKeepsTheDataOfAMetaWithAFlippedByte() throws IOException {
        // A bit of the epoch, which no other check looks at, so only the checksum can notice.
        assertSlab2KeptDamaged((meta, data) -> flipByte(meta, EPOCH_AT + 7), "checksum does not match");
    }

    @Test
    void recoverKeepsTheDataOfATruncatedMeta() throws IOException {
        assertSlab2KeptDamaged((meta, data) -> truncate(meta, Files.size(meta) / 2), "meta file is damaged");
    }

    @Test
    void recoverKeepsTheDataOfAnEmptyMeta() throws IOException {
        assertSlab2KeptDamaged((meta, data) -> truncate(meta, 0), "truncated to 0 bytes");
    }

    @Test
    void recoverKeepsTheDataOfAMetaOfAnotherFormatVersion() throws IOException {
        assertSlab2KeptDamaged((meta, data) -> reseal(meta, b -> b.putShort(VERSION_AT, (short) 0)), "format version");
    }

    @Test
    void recoverKeepsTheDataOfAMetaOfANewerFormatVersion() throws IOException {
        assertSlab2KeptDamaged((meta, data) -> reseal(meta, b -> b.putShort(VERSION_AT, (short) 2)), "newer");
    }

    @Test
    void recoverKeepsTheDataOfAMetaWithAWrongMagicNumber() throws IOException {
        assertSlab2KeptDamaged((meta, data) -> reseal(meta, b -> b.putInt(0, 0x52454d4a)), "magic number");
    }

    @Test
    void recoverKeepsTheDataOfAMetaWithAnInvalidSize() throws IOException {
        // Smaller than the data file, so only the size rule can reject it.
        assertSlab2KeptDamaged((meta, data) -> reseal(meta, b -> b.putLong(SIZE_AT, MIB - 1)), "slab size");
    }

    @Test
    void recoverKeepsTheDataOfAMetaWithAnInvalidTenant() throws IOException {
        assertSlab2KeptDamaged((meta, data) -> reseal(meta, b -> b.put(TENANT_AT, (byte) '!')), "meta file is damaged");
    }

    @Test
    void recoverKeepsTheDataOfAMetaWithBytesAfterItsFields() throws IOException {
        assertSlab2KeptDamaged((meta, data) -> reseal(meta, b -> ByteBuffer.wrap(Arrays.copyOf(b.array(), b.capacity() + 1))),
                "left over");
    }

    @Test
    void recoverKeepsTheDataOfAMetaCopiedFromAnotherSlab() throws IOException {
        assertSlab2KeptDamaged((meta, data) -> Files.copy(dir.resolve("slab-1.meta"), meta,
                StandardCopyOption.REPLACE_EXISTING), "slab id 1");
    }

    @Test
    void recoverKeepsADataFileShorterThanTheSlab() throws IOException {
        assertSlab2KeptDamaged((meta, data) -> truncate(data, MIB - 4096), "fewer than its size");
    }

    @Test
    void recoverDropsAMetaWithoutData() throws IOException {
        assertSlab2Dropped((meta, data) -> Files.delete(data));
    }

    @Test
    void recoverDropsADamagedMetaWithoutData() throws IOException {
        assertSlab2Dropped((meta, data) -> {
            flipByte(meta, EPOCH_AT);
            Files.delete(data);
        });
    }

    @Test
    void recoverDropsAnOrphanDataFile() throws IOException {
        assertSlab2Dropped((meta, data) -> Files.delete(meta));
    }

    @Test
    void recoverDropsAnOrphanSumsFile() throws IOException {
        assertSlab2Dropped((meta, data) -> {
            Files.delete(meta);
            Files.delete(data);
        });
    }

    @Test
    void recoverDeletesLeftoverTmpFiles() throws IOException {
        assertSlab2Dropped((meta, data) -> {
            Files.delete(meta);
            Files.delete(data);
            Files.delete(dir.resolve("slab-2.sums"));
            Files.write(dir.resolve("slab-2.meta.tmp"), new byte[] {1, 2, 3});
            Files.write(dir.resolve("node.meta.tmp"), new byte[0]);
        });
    }

    @Test
    void recoverLeavesOtherFilesAlone() throws IOException {
        List<String> others = List.of("notes.txt", "slab-x.data", "slab-01.meta", "slab-9999999999999999999.meta",
                "slab-1.sum");
        for (String name : others) {
            Files.write(dir.resolve(name), new byte[] {1});
        }
        try (SlabFiles files = SlabFiles.open(dir)) {
            assertThat(files.recover().slabs()).isEmpty();
        }
        assertThat(names()).containsExactlyInAnyOrderElementsOf(
                Stream.concat(others.stream(), Stream.of("lock")).toList());
    }

    @Test
    void aSecondOpenInThisJvmFailsNamingTheDirectory() throws IOException {
        try (SlabFiles first = SlabFiles.open(dir)) {
            RememException e = assertCode(() -> SlabFiles.open(dir), ErrorCode.INVALID_ARGUMENT);
            assertThat(e.getMessage()).contains(dir.toString());
            create(first, 1, MIB); // the failed open must not have broken the first one's lock or files
        }
        try (SlabFiles again = SlabFiles.open(dir)) { // closing released the lock
            assertThat(again.recover().slabs()).hasSize(1);
        }
    }

    @Test
    void openFailsWhileAnotherProcessHoldsTheLock() throws Exception {
        Path locker = dir.resolve("Locker.java");
        Files.writeString(locker, """
                import java.nio.channels.FileChannel;
                import java.nio.file.*;
                class Locker {
                    public static void main(String[] a) throws Exception {
                        var ch = FileChannel.open(Path.of(a[0]), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                        if (ch.tryLock() == null) System.exit(1);
                        System.out.println("locked");
                        System.in.read();
                    }
                }
                """);
        Path data = Files.createDirectory(dir.resolve("data"));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, locker.toString(), data.resolve("lock").toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            String line = new String(p.getInputStream().readNBytes(6), StandardCharsets.US_ASCII);
            assertThat(line).isEqualTo("locked");
            RememException e = assertCode(() -> SlabFiles.open(data), ErrorCode.INVALID_ARGUMENT);
            assertThat(e.getMessage()).contains(data.toString());
        } finally {
            p.destroyForcibly().waitFor();
        }
        SlabFiles.open(data).close(); // the lock died with its process
    }

    @Test
    void openRejectsAPathThatIsNotADirectory() throws IOException {
        Path file = Files.writeString(dir.resolve("plain"), "x");
        RememException e = assertCode(() -> SlabFiles.open(file), ErrorCode.INVALID_ARGUMENT);
        assertThat(e.getMessage()).contains(file.toString());
    }

    @Test
    void aClosedStoreRefusesWrites() {
        SlabFiles files = SlabFiles.open(dir);
        files.close();
        assertCode(() -> files.writeMeta(new SlabMeta(1, "alice", MIB, 0, false)), ErrorCode.INTERNAL);
        assertCode(() -> files.saveNodeId(1), ErrorCode.INTERNAL);
    }

    @Test
    void deleteRemovesEveryFileAndToleratesMissingOnes() throws IOException {
        try (SlabFiles files = SlabFiles.open(dir)) {
            create(files, 1, MIB);
            create(files, 2, MIB);
            files.delete(2);
            assertThat(names()).containsExactlyInAnyOrder("lock", "slab-1.meta", "slab-1.data", "slab-1.sums");
            files.delete(2);
            files.delete(99);
            assertThat(files.recover().slabs()).extracting(SlabMeta::slabId).containsExactly(1L);
        }
    }

    // ------------------------------------------------------------------ sums files

    @Test
    void aFreshSumsFileHasEveryChunkUnsealedAndReopensAsItWasLeft() throws IOException {
        try (SlabFiles files = SlabFiles.open(dir); Arena arena = Arena.ofShared()) {
            ChunkSums sums = files.mapSums(7, 16, arena, true);
            assertThat(Files.size(dir.resolve("slab-7.sums"))).isEqualTo(ChunkSums.fileBytes(16));
            for (int c = 0; c < 16; c++) {
                assertThat(sums.state(c)).isEqualTo(ChunkSums.UNSEALED);
            }
            MemorySegment data = arena.allocate(Slab.CHUNK_SIZE);
            data.set(ValueLayout.JAVA_BYTE, 5, (byte) 9);
            assertThat(sums.sealNow(3, data, new ChunkSums.Summer())).isTrue();
        }
        try (SlabFiles files = SlabFiles.open(dir); Arena arena = Arena.ofShared()) {
            ChunkSums again = files.mapSums(7, 16, arena, false);
            assertThat(again.state(3)).isEqualTo(ChunkSums.SEALED);
            assertThat(again.state(4)).isEqualTo(ChunkSums.UNSEALED);
            MemorySegment data = arena.allocate(Slab.CHUNK_SIZE);
            assertThat(again.verify(3, data, new ChunkSums.Summer())).isEqualTo(ChunkSums.Check.MISMATCH);
            data.set(ValueLayout.JAVA_BYTE, 5, (byte) 9);
            assertThat(again.verify(3, data, new ChunkSums.Summer())).isEqualTo(ChunkSums.Check.GOOD);
            assertThat(files.mapSums(7, 16, arena, true).state(3)).as("fresh replaces").isEqualTo(ChunkSums.UNSEALED);
        }
    }

    /** A slab written by a remem without sums files: it gets one, every chunk unsealed (nothing to verify yet). */
    @Test
    void aMissingSumsFileIsMadeAllUnsealed() throws IOException {
        try (SlabFiles files = SlabFiles.open(dir); Arena arena = Arena.ofShared()) {
            ChunkSums sums = files.mapSums(7, 4, arena, false);
            assertThat(sums.state(0)).isEqualTo(ChunkSums.UNSEALED);
            assertThat(Files.size(dir.resolve("slab-7.sums"))).isEqualTo(ChunkSums.fileBytes(4));
        }
    }

    @Test
    void aDamagedSumsFileIsDataCorrupt() throws IOException {
        try (SlabFiles files = SlabFiles.open(dir); Arena arena = Arena.ofShared()) {
            files.mapSums(7, 4, arena, true);
        }
        Path sums = dir.resolve("slab-7.sums");
        byte[] good = Files.readAllBytes(sums);
        try (SlabFiles files = SlabFiles.open(dir); Arena arena = Arena.ofShared()) {
            assertThat(catchThrowable(() -> files.mapSums(7, 8, arena, false))).as("another chunk count")
                    .hasMessageContaining("bytes, not");
            for (int at : new int[] {0, 5, 8, 12}) { // magic, version, chunk count, header crc
                byte[] bad = good.clone();
                bad[at] ^= 1;
                Files.write(sums, bad);
                RememException e = assertCode(() -> files.mapSums(7, 4, arena, false), ErrorCode.DATA_CORRUPT);
                assertThat(e.getMessage()).contains(sums.toString());
            }
            truncate(sums, good.length - 8);
            assertCode(() -> files.mapSums(7, 4, arena, false), ErrorCode.DATA_CORRUPT);
            assertThat(Files.size(sums)).as("a damaged file is not grown or rewritten").isEqualTo(good.length - 8);
        }
    }

    private static void flipByte(Path file, int at) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        bytes[at] ^= 0x10;
        Files.write(file, bytes);
    }

    private static void truncate(Path file, long length) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(length);
        }
    }

    /** Patches a meta file's content before its checksum and recomputes that, so only the other checks can notice. */
    private static void reseal(Path file, UnaryOperator<ByteBuffer> patch) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        byte[] body = patch.apply(ByteBuffer.wrap(Arrays.copyOf(bytes, bytes.length - 4))).array();
        CRC32C crc = new CRC32C();
        crc.update(body);
        Files.write(file, ByteBuffer.allocate(body.length + 4).put(body).putInt((int) crc.getValue()).array());
    }
}
