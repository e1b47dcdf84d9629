package io.remem.client;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * A range of far memory held in the local cache as one plain {@link MemorySegment}, for loops that would
 * otherwise pay a lookup per access (AIFM's dereference scope). Get one from {@link FarSegment#pin} or
 * {@link FarSegment#pinReadOnly}, in a try-with-resources block:
 *
 * <pre>{@code
 * try (PinnedView view = segment.pin(0, 1 << 20)) {
 *     MemorySegment s = view.segment();
 *     for (long i = 0; i < s.byteSize(); i += 8) s.set(JAVA_LONG, i, i);
 * }
 * }</pre>
 *
 * <ul>
 *   <li>The blocks stay cached, in consecutive frames, until the view is closed; they are never evicted meanwhile.
 *       Other threads see the same memory through their own accesses.</li>
 *   <li>The segment belongs to the thread that pinned it and is unusable once the view is closed.</li>
 *   <li><b>Nothing written through a view is lost.</b> A writable view keeps a copy of the range as it was when
 *       pinned; closing compares the two line by line and marks every changed 64-byte line dirty, so exactly the
 *       lines the view changed are written back. Writes through a view count as done when the view closes: a
 *       {@link FarMemory#flush()} while it is open may not include them.</li>
 *   <li>Pinning more than the cache can spare fails with a clear error instead of stalling.</li>
 * </ul>
 */
public final class PinnedView implements AutoCloseable {
    private final LocalCache cache;
    private final int firstFrame;
    private final int frameCount;
    private final long offsetInFirst;
    private final long length;
    private final Arena scope;
    private final MemorySegment segment;
    private final MemorySegment before;
    private boolean closed;

    PinnedView(LocalCache cache, long addr, long length, boolean writable) {
        this.cache = cache;
        long first = addr >>> cache.blockShift;
        long last = (addr + length - 1) >>> cache.blockShift;
        this.frameCount = Math.toIntExact(last - first + 1);
        this.offsetInFirst = addr & cache.blockMask;
        this.length = length;
        this.firstFrame = cache.pinFrames(first, frameCount);
        MemorySegment range = cache.frames.asSlice(((long) firstFrame << cache.blockShift) + offsetInFirst, length);
        this.scope = Arena.ofConfined();
        MemorySegment scoped = range.reinterpret(scope, null); // dies with the view: no use after close
        this.segment = writable ? scoped : scoped.asReadOnly();
        this.before = writable ? Arena.ofAuto().allocate(length, 8).copyFrom(range) : null;
    }

    /** The pinned range: plain memory, no lookup per access. Valid until {@link #close()}. */
    public MemorySegment segment() {
        if (closed) {
            throw new IllegalStateException("Already closed");
        }
        return segment;
    }

    /** Marks what changed dirty, then lets the blocks go. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (before != null) {
                markChangedLines();
            }
        } finally {
            scope.close();
            cache.unpinFrames(firstFrame, frameCount);
        }
    }

    /** Compares the range with its copy from pin time, one 64-byte line (aligned in far memory) at a time. */
    private void markChangedLines() {
        MemorySegment now = segment;
        long pos = 0;
        while (pos < length) {
            long inBlock = (offsetInFirst + pos) & cache.blockMask;
            long lineEnd = ((inBlock >>> FrameTable.LINE_SHIFT) + 1) << FrameTable.LINE_SHIFT;
            long n = Math.min(lineEnd - inBlock, length - pos);
            if (MemorySegment.mismatch(now, pos, pos + n, before, pos, pos + n) >= 0) {
                int frame = firstFrame + (int) ((offsetInFirst + pos) >>> cache.blockShift);
                cache.markWritten(frame, inBlock, n);
            }
            pos += n;
        }
    }
}
