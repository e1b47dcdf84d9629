package io.remem.memnode;

import io.remem.protocol.ErrorCode;
import io.remem.protocol.Limits;
import io.remem.protocol.RememException;
import io.remem.protocol.TenantName;
import io.remem.protocol.auth.NodeKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.TRUNCATE_EXISTING;
import static java.nio.file.StandardOpenOption.WRITE;

/**
 * A memory node's data directory, so that its slabs survive the process being killed. Each slab is a sparse
 * {@code slab-<id>.data} file mapped shared, whose writes live in the page cache and so outlive the process
 * without any flush, a {@code slab-<id>.sums} file of per-chunk checksums mapped likewise ({@link ChunkSums}), and a
 * small {@code slab-<id>.meta}. The meta is what makes a slab exist: it is written after the other two are created
 * and removed before they are deleted, so a crash in between leaves only orphans, which {@link #recover()} removes.
 *
 * <p>A slab whose meta is damaged, or whose data file is shorter than its meta says, is not deleted: it may be the
 * only copy. {@link #recover()} reports it, and the controller decides (see {@link SlabStore#reconcile}).
 *
 * <p>Meta files and {@code node.meta} are replaced whole by atomic rename and end in a CRC32C of all before
 * it, so a reader sees the old or the new content, or detects damage. Layouts, big-endian: slab meta
 * {@code u32 magic, u16 version, u64 slabId, u64 size, u64 epoch, u8 syncing, u8 tenantLength, tenant (UTF-8),
 * u32 crc32c}; node meta {@code u32 magic, u16 version, u64 id, u32 crc32c}.
 */
final class SlabFiles implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SlabFiles.class);
    private static final int SLAB_MAGIC = 0x524d534c; // "RMSL"
    private static final int NODE_MAGIC = 0x524d4e44; // "RMND"
    private static final int KEY_MAGIC = 0x524d4b59; // "RMKY"
    private static final short VERSION = 1;
    private static final String TMP = ".tmp";
    /** Up to 19 digits: enough for any non-negative long, and too few to overflow parseUnsignedLong. */
    private static final Pattern SLAB_FILE = Pattern.compile("slab-(0|[1-9][0-9]{0,18})\\.(meta|data|sums)");

    private final Path dir;
    private final FileChannel lockChannel;
    private volatile long nodeId;

    private SlabFiles(Path dir, FileChannel lockChannel) {
        this.dir = dir;
        this.lockChannel = lockChannel;
    }

    /** Opens {@code dir}, creating it if needed, and locks it against every other memory node. */
    static SlabFiles open(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "cannot create data directory " + dir + ": " + e, e);
        }
        if (!Files.isWritable(dir)) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "data directory " + dir + " is not writable");
        }
        Path lockFile = dir.resolve("lock");
        FileChannel channel = null;
        try {
            channel = FileChannel.open(lockFile, CREATE, WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException sameJvm) {
                lock = null; // a JVM refuses a second lock of its own instead of returning null
            }
            if (lock == null) {
                throw new RememException(ErrorCode.INVALID_ARGUMENT, "data directory " + dir
                        + " is in use by another memory node (" + lockFile + " is locked)");
            }
            SlabFiles files = new SlabFiles(dir, channel);
            files.nodeId = files.readNodeId();
            return files;
        } catch (IOException | RuntimeException e) {
            if (channel != null) {
                closeQuietly(channel);
            }
            throw e instanceof RememException r ? r : failed("cannot lock", lockFile, e);
        }
    }

    Path dir() {
        return dir;
    }

    /** The id saved by {@link #saveNodeId}, or 0 if this directory has none yet. */
    long nodeId() {
        return nodeId;
    }

    void saveNodeId(long id) {
        if (id <= 0) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "node id must be positive, not " + id);
        }
        ensureOpen();
        writeAtomically(dir.resolve("node.meta"), seal(header(NODE_MAGIC, Long.BYTES).putLong(id)));
        nodeId = id;
    }

    /**
     * The node's identity key pair, kept in {@code node.key} (mode 0600), made on first use. The controller binds the
     * node's id to its public key, so losing this file means registering as a new node.
     */
    KeyPair nodeKey() {
        ensureOpen();
        Path p = dir.resolve("node.key");
        if (Files.exists(p)) {
            try {
                ByteBuffer b = unseal(Files.readAllBytes(p), KEY_MAGIC);
                byte[] pub = new byte[b.getShort() & 0xFFFF];
                b.get(pub);
                byte[] priv = new byte[b.getShort() & 0xFFFF];
                b.get(priv);
                if (b.hasRemaining()) {
                    throw new Corrupt("it has " + b.remaining() + " bytes left over");
                }
                return NodeKey.decode(pub, priv);
            } catch (Corrupt | BufferUnderflowException | RememException e) {
                // A new key would strand this node's id and every slab here under an identity nobody knows.
                throw new RememException(ErrorCode.INTERNAL, "node key file " + p + " is damaged: " + e.getMessage());
            } catch (IOException e) {
                throw failed("cannot read", p, e);
            }
        }
        KeyPair pair = NodeKey.generate();
        byte[] pub = NodeKey.encodePublic(pair);
        byte[] priv = NodeKey.encodePrivate(pair);
        ByteBuffer b = header(KEY_MAGIC, 4 + pub.length + priv.length);
        b.putShort((short) pub.length).put(pub).putShort((short) priv.length).put(priv);
        byte[] sealed = seal(b);
        writeAtomically(p, sealed);
        return pair;
    }

    /** Maps slab {@code slabId}'s data file whole, creating it or growing it to {@code size} if needed. */
    MemorySegment map(long slabId, long size, Arena arena) {
        checkSize(size);
        ensureOpen();
        Path data = file(slabId, ".data");
        try (FileChannel ch = FileChannel.open(data, CREATE, READ, WRITE)) {
            // map() grows a shorter file with ftruncate: the new range is a hole that costs no disk until a page
            // is dirtied, where writing zeros would allocate all of it up front.
            return ch.map(FileChannel.MapMode.READ_WRITE, 0, size, arena);
        } catch (IOException e) {
            throw failed("cannot map", data, e);
        }
    }

    /**
     * Maps slab {@code slabId}'s sums file for {@code chunks} chunks. With {@code fresh}, any old file is replaced by one
     * with every chunk unsealed (a new slab). Otherwise the file is checked: a slab made by a remem without sums files
     * has none, and gets a fresh one (its chunks are unsealed: nothing to verify until they are sealed again); a file
     * that fails its checks throws DATA_CORRUPT, as the slab's checksums can no longer be trusted.
     */
    ChunkSums mapSums(long slabId, int chunks, Arena arena, boolean fresh) {
        ensureOpen();
        Path p = file(slabId, ".sums");
        long bytes = ChunkSums.fileBytes(chunks);
        try {
            if (!fresh && Files.exists(p)) {
                try (FileChannel ch = FileChannel.open(p, READ, WRITE)) {
                    long size = ch.size();
                    // Mapped only at its own size: mapping more would grow a truncated file and hide the damage.
                    MemorySegment mapped = size == bytes ? ch.map(FileChannel.MapMode.READ_WRITE, 0, size, arena) : null;
                    String wrong = mapped == null ? "it has " + size + " bytes, not " + bytes
                            : ChunkSums.checkHeader(mapped, chunks);
                    if (wrong != null) {
                        throw new RememException(ErrorCode.DATA_CORRUPT, "its checksum file " + p + " is damaged: " + wrong);
                    }
                    return new ChunkSums(mapped, chunks);
                }
            }
            if (!fresh) {
                log.info("slab {} has no checksum file (made by an older remem): its chunks are sealed as they are"
                        + " next left alone, and verified from then on", slabId);
            }
            try (FileChannel ch = FileChannel.open(p, CREATE, READ, WRITE, TRUNCATE_EXISTING)) {
                MemorySegment mapped = ch.map(FileChannel.MapMode.READ_WRITE, 0, bytes, arena); // zeros: all unsealed
                ChunkSums.format(mapped, chunks);
                return new ChunkSums(mapped, chunks);
            }
        } catch (IOException e) {
            throw failed("cannot map", p, e);
        }
    }

    /** The size of slab {@code slabId}'s data file, or -1 if it has none. */
    long dataSize(long slabId) {
        ensureOpen();
        Path data = file(slabId, ".data");
        try {
            return Files.exists(data) ? Files.size(data) : -1;
        } catch (IOException e) {
            throw failed("cannot read", data, e);
        }
    }

    void writeMeta(SlabMeta meta) {
        checkSize(meta.size());
        byte[] tenant = TenantName.check(meta.tenant()).getBytes(StandardCharsets.UTF_8);
        ensureOpen();
        ByteBuffer b = header(SLAB_MAGIC, 3 * Long.BYTES + 2 + tenant.length);
        b.putLong(meta.slabId()).putLong(meta.size()).putLong(meta.epoch()).put((byte) (meta.syncing() ? 1 : 0));
        writeAtomically(file(meta.slabId(), ".meta"), seal(b.put((byte) tenant.length).put(tenant)));
    }

    /**
     * What {@link #recover()} found: slabs whose meta is intact, sorted by id, and slabs whose data is here but whose
     * meta is damaged (or whose data file is too short for it), by id, with why.
     */
    record Recovery(List<SlabMeta> slabs, SortedMap<Long, String> damaged) {}

    /**
     * Reads back the slabs here and deletes what a crash left behind: orphan data and sums files, temporary files, and
     * metas whose data file is gone (nothing is left to keep). A slab whose meta is damaged keeps its files: it may be
     * the only copy, and the controller knows what its meta said. The data of intact slabs is checked elsewhere, against
     * its checksums.
     */
    Recovery recover() {
        ensureOpen();
        List<Path> entries;
        try (Stream<Path> s = Files.list(dir)) {
            entries = s.toList();
        } catch (IOException e) {
            throw failed("cannot list", dir, e);
        }
        List<SlabMeta> good = new ArrayList<>();
        SortedMap<Long, String> damaged = new TreeMap<>();
        List<Path> others = new ArrayList<>();
        for (Path p : entries) {
            String name = p.getFileName().toString();
            Matcher m = SLAB_FILE.matcher(name);
            long id = m.matches() ? Long.parseUnsignedLong(m.group(1)) : -1; // beyond Long.MAX_VALUE: not ours
            if (name.endsWith(TMP)) {
                log.warn("deleting {}: a write that a crash interrupted", p);
                deleteFile(p);
            } else if (id >= 0 && m.group(2).equals("meta")) {
                recoverSlab(id, p, good, damaged);
            } else if (id >= 0) {
                others.add(p);
            }
        }
        for (Path p : others) { // those of slabs dropped above are gone already
            String name = p.getFileName().toString();
            if (Files.exists(p) && !Files.exists(p.resolveSibling(name.substring(0, name.lastIndexOf('.')) + ".meta"))) {
                log.warn("deleting {}: it has no meta file, so its slab was never fully created or was being deleted", p);
                deleteFile(p);
            }
        }
        good.sort(Comparator.comparingLong(SlabMeta::slabId));
        return new Recovery(good, damaged);
    }

    /** Sorts slab {@code id}, whose meta is {@code p}, into {@code good} or {@code damaged}, or deletes it. */
    private void recoverSlab(long id, Path p, List<SlabMeta> good, Map<Long, String> damaged) {
        long dataBytes = dataSize(id);
        SlabMeta meta;
        try {
            meta = readMeta(id, p);
        } catch (Corrupt e) {
            if (dataBytes < 0) {
                log.warn("deleting slab {}: its meta file {} is damaged ({}) and it has no data file", id, p, e.getMessage());
                delete(id);
            } else {
                log.error("slab {}'s meta file {} is damaged ({}); its data is kept, quarantined, for the controller to"
                        + " restore or drop", id, p, e.getMessage());
                damaged.put(id, "its meta file is damaged: " + e.getMessage());
            }
            return;
        }
        if (dataBytes < 0) {
            log.warn("deleting slab {}: its data file {} is missing", id, file(id, ".data"));
            delete(id);
        } else if (dataBytes < meta.size()) {
            log.error("slab {}'s data file has {} bytes, fewer than its {}; it is kept, quarantined", id, dataBytes,
                    meta.size());
            damaged.put(id, "its data file has " + dataBytes + " bytes, fewer than its size " + meta.size());
        } else {
            good.add(meta);
        }
    }

    /** Deletes a slab's files; the meta goes first, so the slab stops existing in one step. */
    void delete(long slabId) {
        ensureOpen();
        deleteFile(file(slabId, ".meta"));
        deleteFile(file(slabId, ".data"));
        deleteFile(file(slabId, ".sums"));
    }

    @Override
    public void close() {
        closeQuietly(lockChannel); // releases the lock
    }

    private long readNodeId() {
        Path p = dir.resolve("node.meta");
        if (!Files.exists(p)) {
            return 0;
        }
        try {
            ByteBuffer b = unseal(Files.readAllBytes(p), NODE_MAGIC);
            long id = b.getLong();
            if (b.hasRemaining() || id <= 0) {
                throw new Corrupt("it does not hold exactly one positive id");
            }
            return id;
        } catch (Corrupt | BufferUnderflowException e) {
            // Starting as a new node would strand every slab stored here under an identity nobody knows.
            throw new RememException(ErrorCode.INTERNAL, "node id file " + p + " is damaged: " + e.getMessage());
        } catch (IOException e) {
            throw failed("cannot read", p, e);
        }
    }

    private SlabMeta readMeta(long id, Path p) throws Corrupt {
        try {
            ByteBuffer b = unseal(Files.readAllBytes(p), SLAB_MAGIC);
            long slabId = b.getLong();
            long size = b.getLong();
            long epoch = b.getLong();
            byte syncing = b.get();
            byte[] tenant = new byte[b.get() & 0xff];
            b.get(tenant);
            if (b.hasRemaining() || slabId != id || (syncing & ~1) != 0) {
                throw new Corrupt("its fields do not fit (slab id " + slabId + ", syncing flag " + syncing + ", "
                        + b.remaining() + " bytes left over)");
            }
            SlabMeta meta = new SlabMeta(slabId, new String(tenant, StandardCharsets.UTF_8), size, epoch, syncing == 1);
            checkSize(size);
            TenantName.check(meta.tenant());
            return meta;
        } catch (BufferUnderflowException e) {
            throw new Corrupt("it is too short for its fields");
        } catch (RememException e) {
            throw new Corrupt(e.detail());
        } catch (IOException e) {
            throw failed("cannot read", p, e);
        }
    }

    private Path file(long slabId, String suffix) {
        if (slabId < 0) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "slab id must not be negative, not " + slabId);
        }
        return dir.resolve("slab-" + slabId + suffix);
    }

    private static void checkSize(long size) {
        if (size <= 0 || size % Limits.SLAB_GRANULE != 0 || size > 1L << Limits.MAX_SLAB_SHIFT) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "slab size " + size + " is not a positive multiple of "
                    + Limits.SLAB_GRANULE + " up to " + (1L << Limits.MAX_SLAB_SHIFT));
        }
    }

    private void ensureOpen() {
        if (!lockChannel.isOpen()) { // without the lock, another memory node may own the directory by now
            throw new RememException(ErrorCode.INTERNAL, "data directory " + dir + " is closed");
        }
    }

    private static ByteBuffer header(int magic, int bodyBytes) {
        return ByteBuffer.allocate(Integer.BYTES + Short.BYTES + bodyBytes + Integer.BYTES).putInt(magic).putShort(VERSION);
    }

    /** Fills the last four bytes of {@code b} with the checksum of all before them. */
    private static byte[] seal(ByteBuffer b) {
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, b.position());
        return b.putInt((int) crc.getValue()).array();
    }

    /** Checks a sealed file's checksum, magic and version; returns its body. */
    private static ByteBuffer unseal(byte[] bytes, int magic) throws Corrupt {
        int end = bytes.length - Integer.BYTES;
        if (end < Integer.BYTES + Short.BYTES) {
            throw new Corrupt("it is truncated to " + bytes.length + " bytes");
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, end);
        ByteBuffer b = ByteBuffer.wrap(bytes, 0, end);
        if (ByteBuffer.wrap(bytes).getInt(end) != (int) crc.getValue()) {
            throw new Corrupt("its checksum does not match (truncated or damaged)");
        }
        if (b.getInt() != magic) {
            throw new Corrupt("its magic number is wrong");
        }
        short version = b.getShort();
        if (version > VERSION) {
            // Intact but newer: deleting it would destroy data a newer remem can still read.
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "a slab file has format version " + version
                    + ", newer than this remem's " + VERSION + "; start the node with a newer remem or another --data-dir");
        }
        if (version != VERSION) {
            throw new Corrupt("its format version " + version + " is not " + VERSION);
        }
        return b;
    }

    /** Replaces {@code target} whole by an atomic rename; the file is readable by its owner only (it may be a key). */
    private void writeAtomically(Path target, byte[] bytes) {
        Path tmp = target.resolveSibling(target.getFileName() + TMP);
        try {
            Files.deleteIfExists(tmp);
            try (FileChannel out = openOwnerOnly(tmp)) {
                for (ByteBuffer b = ByteBuffer.wrap(bytes); b.hasRemaining(); ) {
                    out.write(b);
                }
                out.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw failed("cannot write", target, e);
        }
        try (FileChannel d = FileChannel.open(dir, READ)) {
            d.force(true); // makes the rename itself durable, not just the bytes it points to
        } catch (IOException e) {
            log.debug("cannot fsync directory {}: {}", dir, e.toString()); // some file systems cannot open directories
        }
    }

    private static FileChannel openOwnerOnly(Path p) throws IOException {
        try {
            return FileChannel.open(p, Set.of(CREATE, WRITE, TRUNCATE_EXISTING),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            return FileChannel.open(p, CREATE, WRITE, TRUNCATE_EXISTING); // not POSIX: the directory protects it
        }
    }

    private static void deleteFile(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            throw failed("cannot delete", p, e);
        }
    }

    private static RememException failed(String what, Path p, Exception e) {
        return new RememException(ErrorCode.INTERNAL, what + " " + p + ": " + e, e);
    }

    private static void closeQuietly(FileChannel channel) {
        try {
            channel.close();
        } catch (IOException e) {
            log.warn("closing {} failed", channel, e);
        }
    }

    /** A file that fails its checks; the message says why. */
    private static final class Corrupt extends Exception {
        Corrupt(String message) {
            super(message, null, false, false);
        }
    }
}
