package io.remem.memnode;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.Map;

/**
 * While a new replica is being copied (SLAB_SYNC): which bytes clients wrote since the copy began. Those are newer
 * than the source's, so the copy must leave them alone. Whole 64-byte lines go in a bitmap; the bytes of a line written
 * only in part (an atomic's 8 bytes, a short run) go in a map. Guarded by this object: a client write and a piece of
 * the copy over the same line never interleave.
 */
final class SyncWrites {
    static final int LINE_SHIFT = 6;
    static final int LINE_BYTES = 1 << LINE_SHIFT;

    private final long[] lines;
    private final Map<Long, Long> partial = new HashMap<>();

    SyncWrites(long slabSize) {
        long count = slabSize >>> LINE_SHIFT;
        lines = new long[(int) ((count + 63) >>> 6)];
    }

    /** Records a client write of {@code [offset, +length)}. Call holding this. */
    void record(long offset, int length) {
        long end = offset + length;
        for (long at = offset; at < end; ) {
            long line = at >>> LINE_SHIFT;
            long lineStart = line << LINE_SHIFT;
            long upto = Math.min(end, lineStart + LINE_BYTES);
            if (at == lineStart && upto - lineStart == LINE_BYTES) {
                lines[(int) (line >>> 6)] |= 1L << line;
                partial.remove(line);
            } else if (!wholeLine(line)) {
                int from = (int) (at - lineStart);
                int n = (int) (upto - at);
                long mask = (n == 64 ? -1L : ((1L << n) - 1)) << from;
                partial.merge(line, mask, (a, b) -> a | b);
            }
            at = upto;
        }
    }

    /** Whether a client wrote all of line {@code line}. Call holding this. */
    boolean wholeLine(long line) {
        return (lines[(int) (line >>> 6)] & (1L << line)) != 0;
    }

    /** The bytes of line {@code line} a client wrote, one bit each, or null if none (or all). Call holding this. */
    Long partialLine(long line) {
        return partial.get(line);
    }

    /** Whether {@code s} is all zeros: such a piece of the copy over memory never written is skipped, to stay sparse. */
    static boolean isZero(MemorySegment s) {
        long n = s.byteSize();
        long i = 0;
        for (; i + 8 <= n; i += 8) {
            if (s.get(ValueLayout.JAVA_LONG_UNALIGNED, i) != 0) {
                return false;
            }
        }
        for (; i < n; i++) {
            if (s.get(ValueLayout.JAVA_BYTE, i) != 0) {
                return false;
            }
        }
        return true;
    }
}
