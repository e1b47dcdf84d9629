package io.remem.client;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The redo log of a coherent dataset: the one commit being applied, written to every replica before any of its bytes
 * land, so whoever finds it after its committer died applies it whole (Hotpot's redo log, one per dataset).
 *
 * <pre>
 * header line [64, 104): u64 id (0: empty), 256-bit bitmap of the stripes it touches
 * log area:  u64 id, u32 crc32c(id, count, entries), u32 count, u64 entry bytes, pad to 64,
 *            count × (u64 data offset, u32 length, u32 0, bytes padded to 8)
 * </pre>
 *
 * The header line's id names the log area's commit; a log area whose id or checksum does not match was torn while
 * written, before any stripe changed, and is dropped. All little-endian.
 */
final class CommitLog {
    static final int HEADER_BYTES = 64;
    static final int ENTRY_HEADER = 16;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;

    /** One range of the commit and its new bytes. */
    record Entry(long offset, MemorySegment bytes) {}

    /** A commit found in the log: its id, ranges and stripes. */
    record Pending(long id, List<Entry> entries, BitSet stripes) {}

    /** A whole logged commit writes past the data size the reader knows: the dataset grew since it last looked. */
    static final class BeyondSizeException extends RuntimeException {
        BeyondSizeException(long end, long known) {
            super("a logged commit writes up to byte " + end + " of a dataset known to hold " + known, null, false, false);
        }
    }

    private final NodeAccess far;
    private final long base;
    /** Where the log is: fixed however the dataset grows. */
    private final CoherenceLayout layout;

    /** @param base far address of the dataset's byte 0 */
    CommitLog(NodeAccess far, long base, CoherenceLayout layout) {
        this.far = far;
        this.base = base;
        this.layout = layout;
    }

    /** Log bytes a commit of ranges of these lengths takes. */
    static long bytesFor(long length) {
        return ENTRY_HEADER + CoherenceLayout.roundUp(length, 8);
    }

    /** Writes the commit to every replica: the log area, then (in the same round) the header line naming it. */
    void write(long id, List<Entry> entries, BitSet stripes) {
        long size = 0;
        for (Entry e : entries) {
            size += bytesFor(e.bytes().byteSize());
        }
        if (size > layout.logCapacity()) {
            throw new IllegalArgumentException("a commit of " + size + " log bytes exceeds the log's " + layout.logCapacity());
        }
        MemorySegment area = NodeAccess.buffer(HEADER_BYTES + size);
        long at = HEADER_BYTES;
        for (Entry e : entries) {
            area.set(LONG, at, e.offset());
            area.set(INT, at + 8, (int) e.bytes().byteSize());
            MemorySegment.copy(e.bytes(), 0, area, at + ENTRY_HEADER, e.bytes().byteSize());
            at += bytesFor(e.bytes().byteSize());
        }
        area.set(LONG, 0, id);
        area.set(INT, 12, entries.size());
        area.set(LONG, 16, size);
        area.set(INT, 8, checksum(id, entries.size(), area.asSlice(HEADER_BYTES, size)));
        far.writes().add(base + layout.logOffset, area).add(base + CoherenceLayout.LOG_ID, headerLine(id, stripes)).send();
    }

    /** Adds to {@code w} the write that empties the log: its commit is applied. */
    void clear(NodeAccess.Writes w) {
        w.add(base + CoherenceLayout.LOG_ID, NodeAccess.buffer(8));
    }

    /**
     * The commit in the log, given the header's id and bitmap as just read; null if the log is empty or was torn
     * before it was complete.
     *
     * @param dataBytes the data size the caller knows
     * @throws BeyondSizeException if the commit is whole but writes past {@code dataBytes}
     */
    Pending read(long headerId, BitSet stripes, long dataBytes) {
        if (headerId == 0) {
            return null;
        }
        MemorySegment head = NodeAccess.buffer(HEADER_BYTES);
        far.read(base + layout.logOffset, head);
        long id = head.get(LONG, 0);
        int count = head.get(INT, 12);
        long size = head.get(LONG, 16);
        if (id != headerId || count < 0 || size < 0 || size > layout.logCapacity() || size % 8 != 0
                || (long) count * ENTRY_HEADER > size) {
            return null;
        }
        MemorySegment body = NodeAccess.buffer(size);
        far.read(base + layout.logOffset + HEADER_BYTES, body);
        if (checksum(id, count, body) != head.get(INT, 8)) {
            return null;
        }
        List<Entry> entries = new ArrayList<>(count);
        long at = 0;
        long end = 0;
        for (int i = 0; i < count; i++) {
            if (at + ENTRY_HEADER > size) {
                return null;
            }
            long offset = body.get(LONG, at);
            long length = Integer.toUnsignedLong(body.get(INT, at + 8));
            if (offset < 0 || length > Long.MAX_VALUE - offset || at + bytesFor(length) > size) {
                return null;
            }
            entries.add(new Entry(offset, body.asSlice(at + ENTRY_HEADER, length)));
            end = Math.max(end, offset + length);
            at += bytesFor(length);
        }
        if (end > dataBytes) {
            throw new BeyondSizeException(end, dataBytes);
        }
        return new Pending(id, entries, stripes);
    }

    private static MemorySegment headerLine(long id, BitSet stripes) {
        MemorySegment line = NodeAccess.buffer(40);
        line.set(LONG, 0, id);
        long[] bits = stripes.toLongArray();
        for (int i = 0; i < Math.min(4, bits.length); i++) {
            line.set(LONG, 8 + 8L * i, bits[i]);
        }
        return line;
    }

    private static int checksum(long id, int count, MemorySegment entries) {
        CRC32C crc = new CRC32C();
        MemorySegment head = MemorySegment.ofArray(new byte[16]);
        head.set(LONG, 0, id);
        head.set(LONG, 8, count);
        crc.update(head.asByteBuffer());
        crc.update(entries.asByteBuffer());
        return (int) crc.getValue();
    }
}
