package io.remem.controller;

import io.remem.protocol.DatasetAccess;
import io.remem.protocol.DatasetMode;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.RememException;
import io.remem.protocol.auth.Scram;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The controller's metadata on disk: an append-only log of checksummed entries, forced to disk before the
 * change it records is acknowledged. On open it is replayed up to the first torn or corrupt entry (a crash
 * mid-append), then rewritten compactly from the recovered state.
 *
 * <p>File layout: the 8-byte magic {@code REMEMJ1\n}, then entries of {@code u32 length, u32 crc32c(payload),
 * payload}, where the payload's first byte is the entry type.
 */
final class Journal implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Journal.class);
    static final String FILE_NAME = "controller.journal";
    private static final byte[] MAGIC = "REMEMJ1\n".getBytes(StandardCharsets.US_ASCII);
    private static final int MAX_ENTRY_BYTES = 1 << 20;
    /** Type of the header that makes the entries after it one change ({@link #append}). */
    private static final byte BATCH = 15;

    /** One change to the metadata. */
    sealed interface Entry {}

    /** The address layout the data directory was created with; fixed for its lifetime. */
    record Layout(int slabShift) implements Entry {}

    /**
     * A memory node that registered: where it is, what it lends, the public key its id is bound to (empty for a node
     * registered before keys existed; it binds the key it next presents), and whether it is being drained.
     */
    record Node(long id, String host, int port, long capacity, byte[] publicKey, boolean draining) implements Entry {
        Node {
            publicKey = publicKey.clone();
        }
    }

    /**
     * A tenant as it is after a change: its quota and the verifiers of its secrets (never the secrets). A tenant with no
     * key cannot log in; it exists only to account for slabs a journal from before tenants had secrets assigned it.
     */
    record Tenant(String name, long quota, List<Scram.Verifier> keys) implements Entry {
        Tenant {
            keys = List.copyOf(keys);
        }
    }

    /** A tenant that was removed. */
    record TenantRemoved(String name) implements Entry {}

    /** A slab that was placed, or whose replica set changed (the later entry for an id wins). */
    record Slab(long id, String tenant, long size, long[] replicas, long epoch, int readable, int factor) implements Entry {
        static Slab of(SlabRecord r) {
            return new Slab(r.id(), r.tenant(), r.size(), r.replicas(), r.epoch(), r.readable(), r.factor());
        }

        SlabRecord record() {
            return new SlabRecord(id, tenant, size, replicas, epoch, readable, factor);
        }
    }

    /** A slab that was freed. */
    record SlabFreed(long id) implements Entry {}

    /** Ids below these were handed out once and are never reused, even after their slab or node is gone. */
    record Watermark(long nextSlabId, long nextNodeId) implements Entry {}

    /**
     * Tenant {@code tenant}'s runtime lease {@code id} exists and these slabs join it (none when it opens). Entries add
     * up: a big lease is written as several.
     */
    record Lease(String tenant, long id, long[] slabs) implements Entry {
        static final int MAX_SLABS = 16_384;

        Lease {
            if (slabs.length > MAX_SLABS) {
                throw new IllegalArgumentException(slabs.length + " slabs in one lease entry; at most " + MAX_SLABS);
            }
            slabs = slabs.clone();
        }
    }

    /** A lease that was closed by its runtime or expired; its slabs were freed (each has its own SlabFreed). */
    record LeaseEnded(String tenant, long id) implements Entry {}

    /**
     * A named dataset of {@code tenant} and the run of slabs that holds it, in order; for a dataset that exists, its
     * new size and slabs (it grew).
     */
    record Dataset(String tenant, String name, long bytes, int replication, DatasetMode mode,
                   long[] slabs) implements Entry {
        Dataset {
            if (slabs.length > Lease.MAX_SLABS) {
                throw new IllegalArgumentException(slabs.length + " slabs in one dataset; at most " + Lease.MAX_SLABS);
            }
            slabs = slabs.clone();
        }
    }

    /** A dataset that was deleted; its slabs were freed (each has its own SlabFreed). */
    record DatasetDeleted(String tenant, String name) implements Entry {}

    /**
     * Runtime lease {@code lease} of tenant {@code leaseTenant} opened {@code tenant}'s dataset (once more; a lease may
     * open it several times).
     */
    record DatasetOpened(String tenant, String name, String leaseTenant, long lease) implements Entry {}

    /** Runtime lease {@code lease} of tenant {@code leaseTenant} closed the dataset once. */
    record DatasetClosed(String tenant, String name, String leaseTenant, long lease) implements Entry {}

    /** {@code tenant} granted {@code grantee} access to its dataset (NONE: revoked). */
    record DatasetGrant(String tenant, String name, String grantee, DatasetAccess access)
            implements Entry {}

    private final Path file;
    private FileChannel channel;

    private Journal(Path file) {
        this.file = file;
    }

    /** Opens the journal in {@code dir}, creating the directory and an empty journal if needed. */
    static Journal open(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "cannot create data directory " + dir + ": " + e.getMessage(), e);
        }
        if (!Files.isWritable(dir)) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "data directory " + dir + " is not writable");
        }
        return new Journal(dir.resolve(FILE_NAME));
    }

    /** Reads every intact entry. Stops at the first torn or corrupt one, which a crash can leave at the end. */
    List<Entry> replay() {
        List<Entry> entries = new ArrayList<>();
        if (!Files.exists(file)) {
            return entries;
        }
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
            byte[] magic = in.readNBytes(MAGIC.length);
            if (magic.length == 0) {
                return entries; // created and never written: the magic and all entries come in one atomic rename
            }
            if (!Arrays.equals(magic, MAGIC)) {
                throw new RememException(ErrorCode.INVALID_ARGUMENT, file + " is not a remem controller journal");
            }
            List<Entry> batch = null; // entries of an append that are not yet all read
            int batchLeft = 0;
            while (true) {
                if (batch != null && batchLeft == 0) {
                    entries.addAll(batch);
                    batch = null;
                }
                int length;
                try {
                    length = in.readInt();
                } catch (EOFException end) {
                    break;
                }
                int crc = in.readInt();
                if (length <= 0 || length > MAX_ENTRY_BYTES) {
                    log.warn("journal {}: entry {} has an impossible length {}; ignoring it and all after it",
                            file, entries.size(), length);
                    break;
                }
                byte[] payload = new byte[length];
                in.readFully(payload);
                CRC32C c = new CRC32C();
                c.update(payload);
                if ((int) c.getValue() != crc) {
                    log.warn("journal {}: entry {} fails its checksum; ignoring it and all after it", file, entries.size());
                    break;
                }
                if (payload[0] == BATCH && payload.length == 5) {
                    batchLeft = ByteBuffer.wrap(payload, 1, 4).getInt();
                    if (batchLeft <= 0) {
                        log.warn("journal {}: a change of {} entries; ignoring it and all after it", file, batchLeft);
                        break;
                    }
                    batch = new ArrayList<>(Math.min(batchLeft, 1 << 16));
                    continue;
                }
                try {
                    Entry e = decode(payload);
                    if (batch != null) {
                        batch.add(e);
                        batchLeft--;
                    } else {
                        entries.add(e);
                    }
                } catch (IOException e) {
                    // An intact entry we cannot read was written by a newer remem: skipping it would lose it.
                    throw new RememException(ErrorCode.INVALID_ARGUMENT, "journal " + file + ": entry " + entries.size()
                            + " cannot be read (" + e.getMessage() + "); was it written by a newer remem?", e);
                }
            }
        } catch (EOFException torn) {
            log.warn("journal {}: the last entry is incomplete (a crash mid-write); ignoring it and the rest of its"
                    + " change", file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
        return entries;
    }

    /** Replaces the journal with {@code snapshot}, atomically, and opens it for appending. */
    void rewrite(List<Entry> snapshot) {
        Path tmp = file.resolveSibling(FILE_NAME + ".tmp");
        try {
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                writeFully(out, ByteBuffer.wrap(MAGIC));
                writeFully(out, encodeAll(snapshot));
                out.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            syncDirectory(file.getParent());
            if (channel != null) {
                channel.close();
            }
            channel = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /**
     * Appends entries and forces them to disk; when this returns they survive a crash. Several entries are one change:
     * they are preceded by a batch header, and a replay applies all of them or, if a crash tore the append, none.
     */
    void append(List<? extends Entry> entries) {
        try {
            if (entries.size() > 1) {
                byte[] header = ByteBuffer.allocate(5).put(BATCH).putInt(entries.size()).array();
                ByteArrayOutputStream framed = new ByteArrayOutputStream(13);
                DataOutputStream out = new DataOutputStream(framed);
                CRC32C c = new CRC32C();
                c.update(header);
                out.writeInt(header.length);
                out.writeInt((int) c.getValue());
                out.write(header);
                ByteBuffer body = encodeAll(entries);
                ByteBuffer all = ByteBuffer.allocate(framed.size() + body.remaining());
                all.put(framed.toByteArray()).put(body).flip();
                writeFully(channel, all);
            } else {
                writeFully(channel, encodeAll(entries));
            }
            channel.force(false);
        } catch (IOException e) {
            throw new RememException(ErrorCode.INTERNAL, "cannot persist metadata to " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            if (channel != null) {
                channel.close();
            }
        } catch (IOException e) {
            log.warn("closing {} failed", file, e);
        }
    }

    private static ByteBuffer encodeAll(List<? extends Entry> entries) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        for (Entry e : entries) {
            byte[] payload = encode(e);
            CRC32C c = new CRC32C();
            c.update(payload);
            out.writeInt(payload.length);
            out.writeInt((int) c.getValue());
            out.write(payload);
        }
        return ByteBuffer.wrap(bytes.toByteArray());
    }

    private static byte[] encode(Entry entry) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
        DataOutputStream out = new DataOutputStream(bytes);
        switch (entry) {
            case Layout l -> {
                out.writeByte(1);
                out.writeByte(l.slabShift());
            }
            case Node n -> {
                out.writeByte(7);
                out.writeLong(n.id());
                out.writeUTF(n.host());
                out.writeShort(n.port());
                out.writeLong(n.capacity());
                writeBytes(out, n.publicKey());
                out.writeBoolean(n.draining());
            }
            case Tenant t -> {
                out.writeByte(8);
                out.writeUTF(t.name());
                out.writeLong(t.quota());
                out.writeByte(t.keys().size());
                for (Scram.Verifier v : t.keys()) {
                    out.writeUTF(v.keyId());
                    writeBytes(out, v.salt());
                    out.writeInt(v.iterations());
                    writeBytes(out, v.storedKey());
                    writeBytes(out, v.serverKey());
                }
            }
            case TenantRemoved r -> {
                out.writeByte(9);
                out.writeUTF(r.name());
            }
            case Slab s -> {
                out.writeByte(6);
                out.writeLong(s.id());
                out.writeUTF(s.tenant());
                out.writeLong(s.size());
                out.writeByte(s.replicas().length);
                for (long r : s.replicas()) {
                    out.writeLong(r);
                }
                out.writeLong(s.epoch());
                out.writeByte(s.readable());
                out.writeByte(s.factor());
            }
            case SlabFreed f -> {
                out.writeByte(4);
                out.writeLong(f.id());
            }
            case Watermark w -> {
                out.writeByte(5);
                out.writeLong(w.nextSlabId());
                out.writeLong(w.nextNodeId());
            }
            case Lease l -> {
                out.writeByte(10);
                out.writeUTF(l.tenant());
                out.writeLong(l.id());
                out.writeInt(l.slabs().length);
                for (long id : l.slabs()) {
                    out.writeLong(id);
                }
            }
            case LeaseEnded e -> {
                out.writeByte(11);
                out.writeUTF(e.tenant());
                out.writeLong(e.id());
            }
            case Dataset d -> {
                out.writeByte(19); // 12 was a dataset without a mode (NONE), still read
                out.writeUTF(d.tenant());
                out.writeUTF(d.name());
                out.writeLong(d.bytes());
                out.writeByte(d.replication());
                out.writeByte(d.mode().ordinal());
                out.writeInt(d.slabs().length);
                for (long id : d.slabs()) {
                    out.writeLong(id);
                }
            }
            case DatasetDeleted d -> {
                out.writeByte(13);
                out.writeUTF(d.tenant());
                out.writeUTF(d.name());
            }
            case DatasetOpened d -> {
                out.writeByte(16);
                out.writeUTF(d.tenant());
                out.writeUTF(d.name());
                out.writeUTF(d.leaseTenant());
                out.writeLong(d.lease());
            }
            case DatasetClosed d -> {
                out.writeByte(17);
                out.writeUTF(d.tenant());
                out.writeUTF(d.name());
                out.writeUTF(d.leaseTenant());
                out.writeLong(d.lease());
            }
            case DatasetGrant g -> {
                out.writeByte(18);
                out.writeUTF(g.tenant());
                out.writeUTF(g.name());
                out.writeUTF(g.grantee());
                out.writeByte(g.access().ordinal());
            }
        }
        return bytes.toByteArray();
    }

    private static Entry decode(byte[] payload) throws IOException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(payload));
        int type = in.readUnsignedByte();
        return switch (type) {
            case 1 -> new Layout(in.readUnsignedByte());
            case 2 -> new Node(in.readLong(), in.readUTF(), in.readUnsignedShort(), in.readLong(), new byte[0], false);
            case 7 -> new Node(in.readLong(), in.readUTF(), in.readUnsignedShort(), in.readLong(), readBytes(in),
                    in.readBoolean());
            case 8 -> {
                String name = in.readUTF();
                long quota = in.readLong();
                int n = in.readUnsignedByte();
                List<Scram.Verifier> keys = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    try {
                        keys.add(new Scram.Verifier(in.readUTF(), readBytes(in), in.readInt(), readBytes(in), readBytes(in)));
                    } catch (RememException e) {
                        throw new IOException("tenant " + name + ": " + e.detail(), e);
                    }
                }
                yield new Tenant(name, quota, keys);
            }
            case 9 -> new TenantRemoved(in.readUTF());
            case 3, 6 -> { // 3: before replica sets could change; every replica readable, at epoch 0
                long id = in.readLong();
                String tenant = in.readUTF();
                long size = in.readLong();
                long[] replicas = new long[in.readUnsignedByte()];
                for (int i = 0; i < replicas.length; i++) {
                    replicas[i] = in.readLong();
                }
                if (type == 3) {
                    yield new Slab(id, tenant, size, replicas, 0, replicas.length, replicas.length);
                }
                yield new Slab(id, tenant, size, replicas, in.readLong(), in.readUnsignedByte(), in.readUnsignedByte());
            }
            case 4 -> new SlabFreed(in.readLong());
            case 5 -> new Watermark(in.readLong(), in.readLong());
            case 10 -> {
                String tenant = in.readUTF();
                long id = in.readLong();
                yield new Lease(tenant, id, readIds(in));
            }
            case 11 -> new LeaseEnded(in.readUTF(), in.readLong());
            case 12, 19 -> {
                String tenant = in.readUTF();
                String name = in.readUTF();
                long bytes = in.readLong();
                int replication = in.readUnsignedByte();
                int mode = type == 12 ? 0 : in.readUnsignedByte();
                if (mode >= DatasetMode.values().length) {
                    throw new IOException("dataset with mode " + mode);
                }
                yield new Dataset(tenant, name, bytes, replication, DatasetMode.values()[mode],
                        readIds(in));
            }
            case 13 -> new DatasetDeleted(in.readUTF(), in.readUTF());
            case 16 -> new DatasetOpened(in.readUTF(), in.readUTF(), in.readUTF(), in.readLong());
            case 17 -> new DatasetClosed(in.readUTF(), in.readUTF(), in.readUTF(), in.readLong());
            case 18 -> {
                String tenant = in.readUTF();
                String name = in.readUTF();
                String grantee = in.readUTF();
                int access = in.readUnsignedByte();
                if (access >= DatasetAccess.values().length) {
                    throw new IOException("dataset grant with access " + access);
                }
                yield new DatasetGrant(tenant, name, grantee, DatasetAccess.values()[access]);
            }
            default -> throw new IOException("unknown journal entry type " + type);
        };
    }

    private static long[] readIds(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > Lease.MAX_SLABS) {
            throw new IOException("an entry with " + n + " slab ids");
        }
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) {
            ids[i] = in.readLong();
        }
        return ids;
    }

    private static void writeBytes(DataOutputStream out, byte[] bytes) throws IOException {
        out.writeShort(bytes.length);
        out.write(bytes);
    }

    private static byte[] readBytes(DataInputStream in) throws IOException {
        byte[] b = new byte[in.readUnsignedShort()];
        in.readFully(b);
        return b;
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }

    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            // Some file systems cannot open directories; the rename is still atomic there.
            log.debug("cannot fsync directory {}: {}", dir, e.toString());
        }
    }
}
