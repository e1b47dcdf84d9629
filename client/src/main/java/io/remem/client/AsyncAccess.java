package io.remem.client;

import io.remem.protocol.ErrorCode;
import io.remem.protocol.RememException;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Asynchronous reads and writes with Clio's ordering rules (docs/design.md, "Asynchronous calls"):
 *
 * <ul>
 *   <li>A call returns a {@link CompletableFuture} at once. One that touches only cached blocks, and waits for no
 *       earlier call, is done on the spot.</li>
 *   <li>Otherwise it runs on a virtual thread, so any number of misses can be in flight together, pipelined on the
 *       memory nodes' connections.</li>
 *   <li>Calls from one thread that touch a common block run in program order: read-after-write, write-after-read
 *       and write-after-write on the same block never overtake each other. Calls on different blocks are not
 *       ordered.</li>
 *   <li>{@link #release()} returns when every call the thread issued before it has completed (Clio's
 *       {@code rrelease}). Synchronous accesses do not wait for pending asynchronous ones: release first.</li>
 * </ul>
 */
final class AsyncAccess implements AutoCloseable {
    private static final int PRUNE_ABOVE = 1024;

    private final LocalCache cache;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final ThreadLocal<Map<Long, CompletableFuture<Void>>> lastByBlock = ThreadLocal.withInitial(HashMap::new);

    AsyncAccess(LocalCache cache) {
        this.cache = cache;
    }

    CompletableFuture<Void> read(long addr, MemorySegment dst, long dstOffset, long length) {
        Map<Long, CompletableFuture<Void>> last = lastByBlock.get();
        CompletableFuture<Void> after = predecessors(last, addr, length);
        if (after == null && cache.tryRead(addr, dst, dstOffset, length)) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> op = run(after, () -> cache.read(addr, dst, dstOffset, length));
        record(last, addr, length, op);
        return op;
    }

    CompletableFuture<Void> write(long addr, MemorySegment src, long srcOffset, long length) {
        Map<Long, CompletableFuture<Void>> last = lastByBlock.get();
        CompletableFuture<Void> after = predecessors(last, addr, length);
        if (after == null && cache.tryWrite(addr, src, srcOffset, length)) {
            return CompletableFuture.completedFuture(null);
        }
        // The caller may reuse its buffer as soon as this returns: the data travels in a copy.
        MemorySegment copy = MemorySegment.ofArray(new byte[Math.toIntExact(length)]);
        MemorySegment.copy(src, srcOffset, copy, 0, length);
        CompletableFuture<Void> op = run(after, () -> cache.write(addr, copy, 0, length));
        record(last, addr, length, op);
        return op;
    }

    /** Waits for every call this thread issued; throws the first failure among them. */
    void release() {
        Map<Long, CompletableFuture<Void>> last = lastByBlock.get();
        if (last.isEmpty()) {
            return;
        }
        List<CompletableFuture<Void>> all = new ArrayList<>(last.values());
        last.clear();
        RememException first = null;
        for (CompletableFuture<Void> f : all) {
            try {
                f.join();
            } catch (CompletionException e) {
                if (first == null) {
                    Throwable c = e.getCause();
                    first = c instanceof RememException re ? new RememException(re.code(), re.detail(), re)
                            : new RememException(ErrorCode.INTERNAL, String.valueOf(c), c);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** The calls this thread issued earlier on any block of the range and not finished yet, or null. */
    private CompletableFuture<Void> predecessors(Map<Long, CompletableFuture<Void>> last, long addr, long length) {
        if (last.isEmpty()) {
            return null;
        }
        List<CompletableFuture<Void>> deps = null;
        for (long b = addr >>> cache.blockShift, end = (addr + length - 1) >>> cache.blockShift; b <= end; b++) {
            CompletableFuture<Void> f = last.get(b);
            if (f != null && !f.isDone()) {
                if (deps == null) {
                    deps = new ArrayList<>(2);
                }
                deps.add(f);
            }
        }
        if (deps == null) {
            return null;
        }
        return deps.size() == 1 ? deps.getFirst() : CompletableFuture.allOf(deps.toArray(new CompletableFuture[0]));
    }

    private CompletableFuture<Void> run(CompletableFuture<Void> after, Runnable access) {
        if (after == null) {
            return CompletableFuture.runAsync(access, executor);
        }
        // Runs after its predecessors whether they succeeded or not: a failed write must not stall the thread's
        // later calls, it is reported by its own future and by release().
        return after.handle((v, e) -> null).thenRunAsync(access, executor);
    }

    private void record(Map<Long, CompletableFuture<Void>> last, long addr, long length, CompletableFuture<Void> op) {
        for (long b = addr >>> cache.blockShift, end = (addr + length - 1) >>> cache.blockShift; b <= end; b++) {
            last.put(b, op);
        }
        if (last.size() > PRUNE_ABOVE) {
            for (Iterator<CompletableFuture<Void>> it = last.values().iterator(); it.hasNext(); ) {
                CompletableFuture<Void> f = it.next();
                if (f.isDone() && !f.isCompletedExceptionally()) {
                    it.remove(); // failures stay until release() reports them
                }
            }
        }
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
