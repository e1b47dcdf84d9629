package io.remem.controller;

import io.remem.protocol.ClusterStatus;
import io.remem.protocol.DatasetMode;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.RememException;
import io.remem.protocol.auth.AuthenticationFailure;
import io.remem.protocol.auth.NodeKey;
import io.remem.protocol.auth.Scram;
import io.remem.transport.HostPort;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

class JournalTest {
    private static final byte[] MAGIC = "REMEMJ1\n".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path dir;

    private Path file() {
        return dir.resolve(Journal.FILE_NAME);
    }

    // ------------------------------------------------------------------ helpers

    /**
     * Slab, Node and Tenant hold arrays (replicas, a public key, a verifier's salt and keys), which records compare by
     * identity, so they are compared through a value view; everything else by record equality.
     */
    private static Object view(Journal.Entry e) {
        return switch (e) {
            case Journal.Slab(long id, String tenant, long size, long[] replicas, long epoch, int readable, int factor) ->
                    List.of("Slab", id, tenant, size, Arrays.stream(replicas).boxed().toList(), epoch, readable, factor);
            case Journal.Node(long id, String host, int port, long capacity, byte[] publicKey, boolean draining) ->
                    List.of("Node", id, host, port, capacity, HEX.formatHex(publicKey), draining);
            case Journal.Dataset(String tenant, String name, long bytes, int replication,
                                 DatasetMode mode, long[] slabs) ->
                    List.of("Dataset", tenant, name, bytes, replication, mode, Arrays.stream(slabs).boxed().toList());
            case Journal.Tenant(String name, long quota, List<Scram.Verifier> keys) ->
                    List.of("Tenant", name, quota, keys.stream().map(JournalTest::view).toList());
            default -> e;
        };
    }

    private static List<Object> view(Scram.Verifier v) {
        return List.of(v.keyId(), HEX.formatHex(v.salt()), v.iterations(), HEX.formatHex(v.storedKey()),
                HEX.formatHex(v.serverKey()));
    }

    private static void assertSameEntries(List<Journal.Entry> actual, List<? extends Journal.Entry> expected) {
        assertThat(actual.stream().map(JournalTest::view).toList())
                .containsExactlyElementsOf(expected.stream().map(JournalTest::view).toList());
    }

    private List<Journal.Entry> replayFresh() {
        try (Journal j = Journal.open(dir)) {
            return j.replay();
        }
    }

    /** One framed entry as the format documents it: u32 length, u32 crc32c(payload), payload. */
    private static byte[] rawEntry(byte[] payload) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        CRC32C crc = new CRC32C();
        crc.update(payload);
        out.writeInt(payload.length);
        out.writeInt((int) crc.getValue());
        out.write(payload);
        return bytes.toByteArray();
    }

    private static final HexFormat HEX = HexFormat.of();
    /** A real node's public key, as registration binds it: X.509-encoded Ed25519, 44 bytes. */
    private static final byte[] NODE_KEY = NodeKey.encodePublic(NodeKey.generate());

    /** A verifier with recognisable bytes; the journal neither knows nor checks how they were derived. */
    private static Scram.Verifier verifier(String keyId, int fill, int iterations, int saltBytes) {
        byte[] salt = new byte[saltBytes];
        Arrays.fill(salt, (byte) fill);
        byte[] stored = new byte[32];
        Arrays.fill(stored, (byte) (fill + 1));
        byte[] server = new byte[32];
        Arrays.fill(server, (byte) (fill + 2));
        return new Scram.Verifier(keyId, salt, iterations, stored, server);
    }

    /** A node entry as a registration writes it today: with a key and not draining. */
    private static Journal.Node node(long id, String host, int port, long capacity) {
        return new Journal.Node(id, host, port, capacity, NODE_KEY, false);
    }

    private static final List<Journal.Entry> SAMPLE = List.of(
            new Journal.Layout(26),
            new Journal.Watermark(17, 4),
            node(1, "mem-1.example.org", 7001, 64L << 30),
            new Journal.Node(3, "10.0.0.3", 65535, Long.MAX_VALUE, new byte[0], true),
            new Journal.Slab(5, "tenant-a", 1L << 26, new long[] {1, 3, 2}, 0, 3, 3),
            new Journal.Tenant("tenant-a", 1L << 30, List.of(verifier("k0123abcd", 1, Scram.MIN_ITERATIONS, 16),
                    verifier("kffffffff", 7, Scram.MAX_ITERATIONS, Scram.MAX_SALT))),
            new Journal.Slab(6, "tenant_b.x", 64 << 10, new long[] {3}, 7, 1, 2),
            new Journal.Tenant("no-keys", 0, List.of()),
            new Journal.Slab(7, "t", 1L << 32, new long[0], Long.MAX_VALUE, 0, 255),
            new Journal.SlabFreed(5),
            new Journal.TenantRemoved("tenant-a"),
            new Journal.Node(1, "mem-1.example.org", 7002, 0, NODE_KEY, true),
            new Journal.Watermark(Long.MAX_VALUE - 1, 1L << 40));

    // ------------------------------------------------------------------ round trips

    @Test
    void everyEntryTypeIsReplayedInOrderWithEqualContents() {
        try (Journal j = Journal.open(dir)) {
            j.rewrite(SAMPLE.subList(0, 2));
            j.append(SAMPLE.subList(2, 5));
            j.append(List.of(SAMPLE.get(5)));
            j.append(SAMPLE.subList(6, SAMPLE.size()));
        }
        List<Journal.Entry> replayed = replayFresh();
        assertThat(replayed).hasSize(SAMPLE.size());
        assertSameEntries(replayed, SAMPLE);
    }

    @Test
    void slabReplicaArraysKeepTheirOrderAndLength() {
        long[] replicas = {8, 1, 7, 2, 6, 3, 5, 4};
        try (Journal j = Journal.open(dir)) {
            j.rewrite(List.of());
            j.append(List.of(new Journal.Slab(42, "tenant-a", 3 << 20, replicas, 12, 5, 6)));
        }
        List<Journal.Entry> replayed = replayFresh();
        assertThat(replayed).hasSize(1).first().isInstanceOf(Journal.Slab.class);
        Journal.Slab s = (Journal.Slab) replayed.getFirst();
        assertThat(s.id()).isEqualTo(42);
        assertThat(s.tenant()).isEqualTo("tenant-a");
        assertThat(s.size()).isEqualTo(3 << 20);
        assertThat(s.replicas()).containsExactly(8, 1, 7, 2, 6, 3, 5, 4);
        assertThat(s.epoch()).isEqualTo(12);
        assertThat(s.readable()).isEqualTo(5);
        assertThat(s.factor()).isEqualTo(6);
    }

    @Test
    void missingFileReplaysAsEmptyAndOpenCreatesTheDirectory() {
        Path nested = dir.resolve("a/b/c");
        try (Journal j = Journal.open(nested)) {
            assertThat(Files.isDirectory(nested)).isTrue();
            assertThat(j.replay()).isEmpty();
        }
    }

    @Test
    void emptySnapshotReplaysAsEmpty() {
        try (Journal j = Journal.open(dir)) {
            j.rewrite(List.of());
        }
        assertThat(file()).exists();
        assertThat(replayFresh()).isEmpty();
    }

    // ------------------------------------------------------------------ rewrite

    @Test
    void rewriteReplacesTheContentsAndLeavesNoTemporaryFile() throws IOException {
        List<Journal.Entry> snapshot = List.of(new Journal.Layout(20), new Journal.Watermark(9, 9),
                node(2, "h", 1, 10));
        try (Journal j = Journal.open(dir)) {
            j.rewrite(SAMPLE.subList(0, 4));
            j.append(SAMPLE.subList(4, SAMPLE.size()));
            j.rewrite(snapshot);
        }
        assertSameEntries(replayFresh(), snapshot);
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).toList()).containsExactly(Journal.FILE_NAME);
        }
    }

    @Test
    void appendsAfterARewriteGoToTheNewFile() {
        List<Journal.Entry> snapshot = List.of(new Journal.Layout(20));
        List<Journal.Entry> later = List.of(new Journal.SlabFreed(3), node(4, "x", 2, 3));
        try (Journal j = Journal.open(dir)) {
            j.rewrite(SAMPLE);
            j.rewrite(snapshot);
            j.append(later);
        }
        List<Journal.Entry> expected = new ArrayList<>(snapshot);
        expected.addAll(later);
        assertSameEntries(replayFresh(), expected);
    }

    @Test
    void aStaleTemporaryFileFromACrashedRewriteIsNeitherReadNorLeftBehind() throws IOException {
        Path tmp = dir.resolve(Journal.FILE_NAME + ".tmp");
        try (Journal j = Journal.open(dir)) {
            j.rewrite(SAMPLE.subList(0, 3));
        }
        Files.write(tmp, "garbage from a crash in the middle of a rewrite".getBytes(StandardCharsets.US_ASCII));
        try (Journal j = Journal.open(dir)) {
            assertSameEntries(j.replay(), SAMPLE.subList(0, 3));
            j.rewrite(SAMPLE.subList(0, 2));
        }
        assertThat(tmp).doesNotExist();
        assertSameEntries(replayFresh(), SAMPLE.subList(0, 2));
    }

    // ------------------------------------------------------------------ damage

    @Test
    void aTornLastEntryIsIgnoredAndEarlierEntriesSurvive() throws IOException {
        List<Journal.Entry> kept = SAMPLE.subList(0, 5);
        Journal.Entry last = new Journal.Slab(99, "tenant-a", 1 << 20, new long[] {1, 2}, 3, 1, 2);
        long before;
        long after;
        try (Journal j = Journal.open(dir)) {
            j.rewrite(kept);
            before = Files.size(file());
            j.append(List.of(last));
            after = Files.size(file());
        }
        byte[] whole = Files.readAllBytes(file());
        assertThat(after).isGreaterThan(before + 8);
        // Every possible tear inside the last entry: in its length, its checksum or its payload.
        for (long cut = 1; cut < after - before; cut++) {
            Files.write(file(), Arrays.copyOf(whole, (int) (after - cut)));
            List<Journal.Entry> replayed = replayFresh();
            assertThat(replayed.stream().map(JournalTest::view).toList())
                    .as("last entry torn %d bytes before its end", cut)
                    .containsExactlyElementsOf(kept.stream().map(JournalTest::view).toList());
        }
        // The untouched file still has it.
        Files.write(file(), whole);
        assertThat(replayFresh()).hasSize(kept.size() + 1);
    }

    @Test
    void aChangeOfSeveralEntriesTornAnywhereIsReplayedWholeOrNotAtAll() throws IOException {
        List<Journal.Entry> kept = SAMPLE.subList(0, 5);
        List<Journal.Entry> change = List.of(
                new Journal.Slab(97, "tenant-a", 1 << 20, new long[] {1}, 0, 1, 1),
                new Journal.Slab(98, "tenant-a", 1 << 20, new long[] {1}, 0, 1, 1),
                new Journal.Lease("tenant-a", 7, new long[] {97, 98}));
        long before;
        long after;
        try (Journal j = Journal.open(dir)) {
            j.rewrite(kept);
            before = Files.size(file());
            j.append(change);
            after = Files.size(file());
        }
        byte[] whole = Files.readAllBytes(file());
        for (long cut = 1; cut < after - before; cut++) {
            Files.write(file(), Arrays.copyOf(whole, (int) (after - cut)));
            assertThat(replayFresh().stream().map(JournalTest::view).toList())
                    .as("change torn %d bytes before its end", cut)
                    .containsExactlyElementsOf(kept.stream().map(JournalTest::view).toList());
        }
        Files.write(file(), whole);
        List<Journal.Entry> all = replayFresh();
        assertThat(all).hasSize(kept.size() + change.size());
        assertThat(all.getLast()).isInstanceOfSatisfying(Journal.Lease.class,
                l -> assertThat(l.slabs()).containsExactly(97, 98));
    }

    @Test
    void aCorruptedPayloadByteStopsReplayAtThatEntry() throws IOException {
        long firstEnd;
        long secondEnd;
        try (Journal j = Journal.open(dir)) {
            j.rewrite(List.of(new Journal.Layout(20)));
            j.append(List.of(node(1, "node-one", 7000, 1 << 30)));
            firstEnd = Files.size(file());
            j.append(List.of(node(2, "node-two", 7001, 1 << 30)));
            secondEnd = Files.size(file());
            j.append(List.of(node(3, "node-three", 7002, 1 << 30)));
        }
        byte[] pristine = Files.readAllBytes(file());
        // Flip each payload byte of the second Node entry in turn (skip its 8-byte header).
        for (long pos = firstEnd + 8; pos < secondEnd; pos++) {
            byte[] bytes = pristine.clone();
            bytes[(int) pos] ^= 0x20;
            Files.write(file(), bytes);
            assertThat(replayFresh().stream().map(JournalTest::view).toList())
                    .as("byte %d of the file flipped", pos)
                    .containsExactly(view(new Journal.Layout(20)), view(node(1, "node-one", 7000, 1 << 30)));
        }
    }

    @Test
    void aCorruptedChecksumStopsReplayAtThatEntry() throws IOException {
        long firstEnd;
        try (Journal j = Journal.open(dir)) {
            j.rewrite(List.of(new Journal.Layout(20)));
            firstEnd = Files.size(file());
            j.append(List.of(new Journal.SlabFreed(1), new Journal.SlabFreed(2)));
        }
        byte[] bytes = Files.readAllBytes(file());
        bytes[(int) firstEnd + 4] ^= 0x01; // first byte of the first SlabFreed's crc
        Files.write(file(), bytes);
        assertThat(replayFresh()).containsExactly(new Journal.Layout(20));
    }

    @Test
    void anImpossibleLengthStopsReplay() throws IOException {
        try (Journal j = Journal.open(dir)) {
            j.rewrite(List.of(new Journal.Layout(21), new Journal.SlabFreed(7)));
        }
        Files.write(file(), new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3}, StandardOpenOption.APPEND);
        assertThat(replayFresh()).containsExactly(new Journal.Layout(21), new Journal.SlabFreed(7));
        try (Journal j = Journal.open(dir)) {
            j.rewrite(List.of(new Journal.Layout(21)));
        }
        Files.write(file(), new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xf0, 0, 0, 0, 0},
                StandardOpenOption.APPEND);
        assertThat(replayFresh()).containsExactly(new Journal.Layout(21));
    }

    @Test
    void handFramedEntriesInTheDocumentedFormatAreRead() throws IOException {
        // Pins the on-disk format described in Journal's javadoc, independently of Journal's encoder.
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        file.write(MAGIC);
        file.write(rawEntry(new byte[] {1, 22}));                       // Layout(22)
        file.write(rawEntry(new byte[] {4, 0, 0, 0, 0, 0, 0, 0, 9}));   // SlabFreed(9)
        Files.write(file(), file.toByteArray());
        assertThat(replayFresh()).containsExactly(new Journal.Layout(22), new Journal.SlabFreed(9));
    }

    @Test
    void anIntactEntryOfAnUnknownTypeIsNotSilentlySkipped() throws IOException {
        // A well-formed entry this version does not understand (say, from a newer controller) must not be
        // dropped quietly: recovery would then rewrite the journal without it.
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        file.write(MAGIC);
        file.write(rawEntry(new byte[] {1, 22}));
        file.write(rawEntry(new byte[] {77, 1, 2, 3}));
        Files.write(file(), file.toByteArray());
        assertThat(catchThrowable(this::replayFresh)).isNotNull();
    }

    @Test
    void aFileWithTheWrongMagicIsRefused() throws IOException {
        Files.write(file(), "NOTAJRNL and then some more bytes".getBytes(StandardCharsets.US_ASCII));
        try (Journal j = Journal.open(dir)) {
            assertThatThrownBy(j::replay)
                    .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                    .hasMessageContaining(file().toString())
                    .hasMessageContaining("not a remem controller journal");
        }
    }

    @Test
    void aJournalWithOneMagicByteChangedIsRefused() throws IOException {
        try (Journal j = Journal.open(dir)) {
            j.rewrite(SAMPLE);
        }
        byte[] bytes = Files.readAllBytes(file());
        bytes[6] = '2'; // REMEMJ2
        Files.write(file(), bytes);
        assertThatThrownBy(this::replayFresh)
                .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    }

    @Test
    void aFileShorterThanTheMagicThatIsNotAJournalIsRefused() throws IOException {
        // The journal is only ever created by an atomic rename of a file that starts with the whole magic, so a
        // shorter file that does not even start like the magic cannot be a torn journal: it is someone else's.
        Files.write(file(), "{}\n".getBytes(StandardCharsets.US_ASCII));
        assertThatThrownBy(this::replayFresh)
                .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessageContaining("not a remem controller journal");
    }

    // ------------------------------------------------------------------ slab entries: replica sets

    /** A type-3 Slab payload, as controllers before replica-set changes wrote it. */
    private static byte[] type3Slab(long id, String tenant, long size, long... replicas) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeByte(3);
        out.writeLong(id);
        out.writeUTF(tenant);
        out.writeLong(size);
        out.writeByte(replicas.length);
        for (long r : replicas) {
            out.writeLong(r);
        }
        return bytes.toByteArray();
    }

    private static byte[] layout(int shift) {
        return new byte[] {1, (byte) shift};
    }

    /** A type-2 Node payload, as controllers before node keys and draining wrote it. */
    private static byte[] type2Node(long id, String host, int port, long capacity) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeByte(2);
        out.writeLong(id);
        out.writeUTF(host);
        out.writeShort(port);
        out.writeLong(capacity);
        return bytes.toByteArray();
    }

    private void writeRawJournal(byte[]... payloads) throws IOException {
        ByteArrayOutputStream file = new ByteArrayOutputStream();
        file.write(MAGIC);
        for (byte[] p : payloads) {
            file.write(rawEntry(p));
        }
        Files.write(file(), file.toByteArray());
    }

    private Metadata recoverMetadata() {
        ControllerConfig c = new ControllerConfig(new HostPort("127.0.0.1", 0), dir).withSlabShift(20);
        return Metadata.recover(c, new SplittableRandom(3));
    }

    @Test
    void aDatasetKeepsItsModeAndAnOldType12DatasetReplaysWithoutCoherence() throws IOException {
        Journal.Dataset mrmw = new Journal.Dataset("tenant-a", "users", 3L << 20, 2,
                DatasetMode.MRMW, new long[] {11, 12, 13});
        try (Journal j = Journal.open(dir)) {
            j.rewrite(List.of(new Journal.Layout(20)));
            j.append(List.of(mrmw));
        }
        assertSameEntries(replayFresh(), List.of(new Journal.Layout(20), mrmw));

        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeByte(12);
        out.writeUTF("tenant-b");
        out.writeUTF("old");
        out.writeLong(1 << 20);
        out.writeByte(1);
        out.writeInt(1);
        out.writeLong(21);
        writeRawJournal(layout(20), bytes.toByteArray());
        assertSameEntries(replayFresh(), List.of(new Journal.Layout(20), new Journal.Dataset("tenant-b", "old", 1 << 20,
                1, DatasetMode.NONE, new long[] {21})));
    }

    @Test
    void aSlabEntryIsWrittenAsType6AndRoundTripsEpochReadableAndFactor() throws IOException {
        Journal.Slab slab = new Journal.Slab(77, "tenant-r", 5L << 20, new long[] {4, 9, 2}, 1234567890123L, 2, 3);
        try (Journal j = Journal.open(dir)) {
            j.rewrite(List.of(slab));
        }
        byte[] bytes = Files.readAllBytes(file());
        assertThat(bytes[MAGIC.length + 8]).as("entry type byte").isEqualTo((byte) 6);
        List<Journal.Entry> replayed = replayFresh();
        assertThat(replayed).hasSize(1);
        Journal.Slab back = (Journal.Slab) replayed.getFirst();
        assertThat(back.id()).isEqualTo(77);
        assertThat(back.tenant()).isEqualTo("tenant-r");
        assertThat(back.size()).isEqualTo(5L << 20);
        assertThat(back.replicas()).containsExactly(4, 9, 2);
        assertThat(back.epoch()).isEqualTo(1234567890123L);
        assertThat(back.readable()).isEqualTo(2);
        assertThat(back.factor()).isEqualTo(3);
        SlabRecord rec = back.record();
        assertThat(rec.readableOn(4)).isTrue();
        assertThat(rec.readableOn(9)).isTrue();
        assertThat(rec.readableOn(2)).isFalse();
        assertThat(rec.copying()).isTrue();
    }

    @Test
    void aHandFramedType6SlabEntryIsRead() throws IOException {
        // Pins the type-6 layout: the type-3 fields, then u64 epoch, u8 readable, u8 factor.
        ByteArrayOutputStream payload = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(payload);
        byte[] head = type3Slab(8, "t6", 3L << 20, 11, 12);
        head[0] = 6;
        out.write(head);
        out.writeLong(42);
        out.writeByte(1);
        out.writeByte(2);
        byte[] whole = payload.toByteArray();
        writeRawJournal(layout(20), whole);
        assertSameEntries(replayFresh(), List.of(new Journal.Layout(20),
                new Journal.Slab(8, "t6", 3L << 20, new long[] {11, 12}, 42, 1, 2)));
    }

    @Test
    void anOldType3SlabEntryReplaysAtEpochZeroWithEveryReplicaReadable() throws IOException {
        writeRawJournal(layout(20), type3Slab(5, "old-tenant", 1L << 20, 3, 1, 2), type3Slab(6, "solo", 64 << 10, 7));
        assertSameEntries(replayFresh(), List.of(
                new Journal.Layout(20),
                new Journal.Slab(5, "old-tenant", 1L << 20, new long[] {3, 1, 2}, 0, 3, 3),
                new Journal.Slab(6, "solo", 64 << 10, new long[] {7}, 0, 1, 1)));
    }

    @Test
    void anOldType3JournalIsRecoveredAndRewrittenInTheNewFormat() throws IOException {
        writeRawJournal(layout(20), type2Node(1, "a", 7001, 16 << 20), type2Node(2, "b", 7002, 16 << 20),
                type3Slab(5, "old-tenant", 1 << 20, 2, 1));
        for (int restart = 0; restart < 2; restart++) {
            try (Metadata m = recoverMetadata()) {
                SlabRecord s = m.slab(5);
                assertThat(s).as("restart %d", restart).isNotNull();
                assertThat(s.replicas()).containsExactly(2, 1);
                assertThat(s.epoch()).isZero();
                assertThat(s.readable()).isEqualTo(2);
                assertThat(s.factor()).isEqualTo(2);
                assertThat(m.node(1).reserved).isEqualTo(1 << 20);
                assertThat(m.node(2).reserved).isEqualTo(1 << 20);
                assertThat(m.usedBy("old-tenant")).isEqualTo(1 << 20);
            }
        }
        // The recovery rewrote the journal: its slab entry is now of type 6.
        assertThat(replayFresh()).filteredOn(e -> e instanceof Journal.Slab).singleElement()
                .satisfies(e -> assertThat(view(e)).isEqualTo(view(
                        new Journal.Slab(5, "old-tenant", 1 << 20, new long[] {2, 1}, 0, 2, 2))));
    }

    @Test
    void theLaterSlabEntryForAnIdWinsOnRecoveryAndMovesTheCharges() {
        long mib = 1 << 20;
        try (Journal j = Journal.open(dir)) {
            j.rewrite(List.of(new Journal.Layout(20), node(1, "a", 7001, 16 * mib),
                    node(2, "b", 7002, 16 * mib), node(3, "c", 7003, 16 * mib)));
            j.append(List.of(new Journal.Slab(10, "t", mib, new long[] {1, 2}, 0, 2, 2)));
            j.append(List.of(new Journal.Slab(11, "t", mib, new long[] {1}, 0, 1, 1)));
            // Node 1 is dropped from slab 10, then node 3 is copied in.
            j.append(List.of(new Journal.Slab(10, "t", mib, new long[] {2}, 1, 1, 2)));
            j.append(List.of(new Journal.Slab(10, "t", mib, new long[] {2, 3}, 2, 1, 2)));
            j.append(List.of(new Journal.Slab(10, "t", mib, new long[] {2, 3}, 2, 2, 2)));
        }
        try (Metadata m = recoverMetadata()) {
            SlabRecord s = m.slab(10);
            assertThat(s.replicas()).containsExactly(2, 3);
            assertThat(s.epoch()).isEqualTo(2);
            assertThat(s.readable()).isEqualTo(2);
            assertThat(s.factor()).isEqualTo(2);
            assertThat(m.node(1).reserved).isEqualTo(mib); // slab 11 only
            assertThat(m.node(1).slabs).isEqualTo(1);
            assertThat(m.node(2).reserved).isEqualTo(mib);
            assertThat(m.node(2).slabs).isEqualTo(1);
            assertThat(m.node(3).reserved).isEqualTo(mib);
            assertThat(m.node(3).slabs).isEqualTo(1);
            // The tenant is charged once per slab, not once per entry. No admin added it: it has the default quota
            // and no key, so it accounts for its slabs but cannot log in.
            assertThat(m.usedBy("t")).isEqualTo(2 * mib);
            assertThat(m.status(new Repairer.Progress(0, 0, 0, 0)).tenants())
                    .containsExactly(new ClusterStatus.Tenant("t", ControllerConfig.DEFAULT_QUOTA, 2 * mib, 2, List.of()));
            assertThat(m.tenantExists("t")).isFalse();
        }
    }

    // ------------------------------------------------------------------ node and tenant entries

    @Test
    void aNodeEntryIsWrittenAsType7AndRoundTripsItsKeyAndDrainState() throws IOException {
        Journal.Node draining = new Journal.Node(12, "mem-12", 7012, 3L << 30, NODE_KEY, true);
        Journal.Node keyless = new Journal.Node(13, "mem-13", 7013, 0, new byte[0], false);
        try (Journal j = Journal.open(dir)) {
            j.rewrite(List.of(draining, keyless));
        }
        assertThat(Files.readAllBytes(file())[MAGIC.length + 8]).as("entry type byte").isEqualTo((byte) 7);
        List<Journal.Entry> replayed = replayFresh();
        assertSameEntries(replayed, List.of(draining, keyless));
        assertThat(((Journal.Node) replayed.getFirst()).publicKey()).isEqualTo(NODE_KEY);
    }

    @Test
    void aHandFramedType7NodeEntryIsRead() throws IOException {
        // Pins the type-7 layout: u64 id, string host, u16 port, u64 capacity, u16 n + n bytes public key, u8 draining.
        ByteArrayOutputStream payload = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(payload);
        out.writeByte(7);
        out.writeLong(9);
        out.writeUTF("mem-9");
        out.writeShort(7009);
        out.writeLong(5L << 30);
        out.writeShort(3);
        out.write(new byte[] {10, 20, 30});
        out.writeBoolean(true);
        writeRawJournal(layout(20), payload.toByteArray());
        assertSameEntries(replayFresh(), List.of(new Journal.Layout(20),
                new Journal.Node(9, "mem-9", 7009, 5L << 30, new byte[] {10, 20, 30}, true)));
    }

    @Test
    void anOldType2NodeEntryReplaysWithNoKeyAndNotDraining() throws IOException {
        writeRawJournal(layout(20), type2Node(4, "old-node", 7004, 8 << 20), type2Node(5, "10.1.2.3", 65535, 0));
        assertSameEntries(replayFresh(), List.of(
                new Journal.Layout(20),
                new Journal.Node(4, "old-node", 7004, 8 << 20, new byte[0], false),
                new Journal.Node(5, "10.1.2.3", 65535, 0, new byte[0], false)));
    }

    @Test
    void aNodeFromAnOldJournalBindsTheFirstKeyItPresentsAndKeepsItAcrossRestarts() throws IOException {
        writeRawJournal(layout(20), type2Node(1, "a", 7001, 16 << 20));
        KeyPair first = NodeKey.generate();
        KeyPair other = NodeKey.generate();
        try (Metadata m = recoverMetadata()) {
            assertThat(m.node(1).publicKey).isEmpty();
            assertThat(m.register(NodeKeys.signed(first, 1, "a", 7001, 16 << 20, List.of()), null, NodeKeys.BINDING).id)
                    .isEqualTo(1);
            assertThat(m.node(1).publicKey).isEqualTo(NodeKey.encodePublic(first));
        }
        // The next recovery rewrites the journal: one type-7 entry for the node, carrying the key.
        recoverMetadata().close();
        assertThat(replayFresh()).filteredOn(e -> e instanceof Journal.Node).singleElement()
                .satisfies(e -> assertThat(view(e)).isEqualTo(view(
                        new Journal.Node(1, "a", 7001, 16 << 20, NodeKey.encodePublic(first), false))));
        // Another key cannot take the id now; the bound one still can.
        try (Metadata m = recoverMetadata()) {
            assertThatThrownBy(() -> m.register(NodeKeys.signed(other, 1, "a", 7001, 16 << 20, List.of()), null,
                    NodeKeys.BINDING)).isInstanceOf(AuthenticationFailure.class);
            assertThat(m.register(NodeKeys.signed(first, 1, "a", 7001, 16 << 20, List.of()), null, NodeKeys.BINDING).id)
                    .isEqualTo(1);
        }
    }

    @Test
    void tenantEntriesRoundTripWithEveryVerifierField() {
        Journal.Tenant two = new Journal.Tenant("tenant-a", 123_456_789L, List.of(
                verifier("k00000001", 3, Scram.MIN_ITERATIONS, Scram.MIN_SALT),
                verifier("kabcdef09", 9, 65_536, 40)));
        Journal.Tenant unlimited = new Journal.Tenant("x.y_z-0", Long.MAX_VALUE, List.of(verifier("k12345678", 5, 5000, 16)));
        try (Journal j = Journal.open(dir)) {
            j.rewrite(List.of(two));
            j.append(List.of(unlimited, new Journal.TenantRemoved("tenant-a")));
        }
        List<Journal.Entry> replayed = replayFresh();
        assertSameEntries(replayed, List.of(two, unlimited, new Journal.TenantRemoved("tenant-a")));
        // The view compares bytes; the verifiers must also be usable as verifiers again.
        Scram.Verifier back = ((Journal.Tenant) replayed.getFirst()).keys().get(1);
        assertThat(back.keyId()).isEqualTo("kabcdef09");
        assertThat(back.salt()).hasSize(40).containsOnly(9);
        assertThat(back.iterations()).isEqualTo(65_536);
    }

    @Test
    void handFramedType8TenantAndType9TenantRemovedEntriesAreRead() throws IOException {
        // Pins the type-8 layout: string name, u64 quota, u8 n, n x (string keyId, u16 + salt, u32 iterations,
        // u16 + storedKey, u16 + serverKey); and type 9: string name.
        Scram.Verifier v = verifier("k0badcafe", 4, 4096, 16);
        ByteArrayOutputStream tenant = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(tenant);
        out.writeByte(8);
        out.writeUTF("bob");
        out.writeLong(77);
        out.writeByte(1);
        out.writeUTF(v.keyId());
        out.writeShort(16);
        out.write(v.salt());
        out.writeInt(4096);
        out.writeShort(32);
        out.write(v.storedKey());
        out.writeShort(32);
        out.write(v.serverKey());
        ByteArrayOutputStream removed = new ByteArrayOutputStream();
        DataOutputStream r = new DataOutputStream(removed);
        r.writeByte(9);
        r.writeUTF("bob");
        writeRawJournal(layout(20), tenant.toByteArray(), removed.toByteArray());
        assertSameEntries(replayFresh(), List.of(new Journal.Layout(20), new Journal.Tenant("bob", 77, List.of(v)),
                new Journal.TenantRemoved("bob")));
    }

    @Test
    void anIntactTenantEntryWithAnImpossibleVerifierIsRefusedNotSkipped() throws IOException {
        // Skipping it would lose the tenant's secrets at the rewrite that follows recovery.
        ByteArrayOutputStream payload = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(payload);
        out.writeByte(8);
        out.writeUTF("carol");
        out.writeLong(1);
        out.writeByte(1);
        out.writeUTF("k00000001");
        out.writeShort(16);
        out.write(new byte[16]);
        out.writeInt(1); // far below the minimum iteration count: no controller wrote this
        out.writeShort(32);
        out.write(new byte[32]);
        out.writeShort(32);
        out.write(new byte[32]);
        writeRawJournal(layout(20), payload.toByteArray());
        assertThatThrownBy(this::replayFresh)
                .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessageContaining("entry 1")
                .hasMessageContaining("carol");
    }

    // ------------------------------------------------------------------ open and append failures

    @Test
    void openUnderARegularFileFailsClearly() throws IOException {
        Path plain = Files.writeString(dir.resolve("plain-file"), "x");
        Path under = plain.resolve("data");
        assertThatThrownBy(() -> Journal.open(under))
                .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessageContaining("cannot create data directory")
                .hasMessageContaining(under.toString());
    }

    @Test
    void openOnARegularFileFailsClearly() throws IOException {
        Path plain = Files.writeString(dir.resolve("plain-file"), "x");
        assertThatThrownBy(() -> Journal.open(plain))
                .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                .hasMessageContaining(plain.toString());
    }

    @Test
    void openOnAReadOnlyDirectoryFailsClearly() throws IOException {
        Path ro = Files.createDirectory(dir.resolve("read-only"));
        try {
            Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("r-xr-xr-x"));
            if (Files.isWritable(ro)) {
                // Root: permission bits do not bind it, the directory really is writable, and the journal must open.
                Journal.open(ro).close();
                return;
            }
            assertThatThrownBy(() -> Journal.open(ro))
                    .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
                    .hasMessageContaining(ro.toString())
                    .hasMessageContaining("not writable");
        } finally {
            Files.setPosixFilePermissions(ro, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    @Test
    void appendAfterCloseFailsWithARememException() {
        Journal j = Journal.open(dir);
        j.rewrite(List.of(new Journal.Layout(20)));
        j.close();
        assertThatThrownBy(() -> j.append(List.of(new Journal.SlabFreed(1))))
                .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INTERNAL))
                .hasMessageContaining(file().toString());
        assertThat(replayFresh()).containsExactly(new Journal.Layout(20));
    }
}
