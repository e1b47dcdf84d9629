package io.remem.collections;

import io.remem.client.FarMemory;

import java.util.AbstractList;
import java.util.Collection;
import java.util.ConcurrentModificationException;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.RandomAccess;
import java.util.Spliterator;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * A {@link java.util.List} whose elements live in far memory, encoded by a {@link Codec}: the Java heap holds only
 * small tables (a reference per 4096 elements, per chunk of encoded elements and per element over 64 KiB), so a list
 * can be much bigger than the heap. Every {@link #get} decodes a fresh element; changing an element object after
 * adding it does not change the list.
 *
 * <p><b>Storage.</b> An index of 8-byte refs, one per element, in far chunks (growing adds a chunk and never copies the
 * index), points at encoded elements: each a little-endian u32 length and the bytes, appended one after another to far
 * chunks of 4 KiB growing to 256 KiB; an element over 64 KiB gets an allocation of its own (and one over 256 KiB a run
 * of slabs: a controller round trip). {@code add(index, e)} and {@code remove(index)} shift the refs after
 * {@code index} with bulk far copies, as {@link java.util.ArrayList} shifts its array, so they cost time proportional
 * to the elements after {@code index}; at the end of the list they are cheap. {@code set} and {@code remove} leave
 * the old encoding behind as garbage until the heap is more than half garbage, when it is compacted.
 *
 * <p><b>Scans.</b> {@link #iterator()}, {@link #forEach}, {@link #stream()} and {@link #spliterator()} read refs a
 * window at a time and hint the entries of the next window to the prefetcher, so a scan overlaps the network; a
 * list filled in order stores its entries in order, and each compaction restores that order.
 *
 * <p><b>Not thread-safe</b>, like {@link java.util.ArrayList}: with any thread writing, access must be
 * synchronized outside. Several threads may read at once (a parallel stream does) while nobody writes; the codec
 * must then be thread-safe, as {@link Codec} requires. Iterators and spliterators are fail-fast on structural
 * changes, as {@code ArrayList}'s are. Null elements are not allowed ({@link NullPointerException}).
 *
 * <p><b>Failures.</b> An update that fails before it changes anything (encoding, allocation, the first far access)
 * leaves the list as it was. One that fails part way through a shift of the index, because far memory became
 * unreachable, can leave the list inconsistent: like a half-finished {@code System.arraycopy}, it is not undone.
 *
 * @param <E> the type of element
 */
public final class FarList<E> extends AbstractList<E> implements RandomAccess, AutoCloseable {
    private final Codec<E> codec;
    private final RefIndex index;
    private final FarHeap heap;
    private final Window window;
    private int size;
    /** Changes with every ref (unlike {@code modCount}, also on set and compaction): buffered refs are then stale. */
    private int epoch;
    private boolean closed;

    private FarList(FarMemory memory, Codec<E> codec) {
        this.codec = codec;
        this.window = Window.of(memory);
        this.index = new RefIndex(memory, window);
        this.heap = new FarHeap(memory, window);
    }

    /** A new, empty list in {@code memory}. It takes far memory only as elements are added. */
    public static <E> FarList<E> create(FarMemory memory, Codec<E> codec) {
        return new FarList<>(Objects.requireNonNull(memory, "memory"), Objects.requireNonNull(codec, "codec"));
    }

    @Override
    public int size() {
        checkOpen();
        return size;
    }

    @Override
    public E get(int i) {
        checkOpen();
        Objects.checkIndex(i, size);
        return decode(index.get(i));
    }

    @Override
    public E set(int i, E element) {
        checkOpen();
        Objects.checkIndex(i, size);
        byte[] data = encode(element);
        long old = index.get(i);
        E previous = decode(old);
        index.set(i, heap.append(data));
        epoch++;
        drop(old);
        return previous;
    }

    @Override
    public boolean add(E element) {
        add(size, element);
        return true;
    }

    @Override
    public void add(int i, E element) {
        checkOpen();
        if (size == Integer.MAX_VALUE) {
            throw new IllegalStateException("FarList is full");
        }
        Objects.checkIndex(i, size + 1);
        byte[] data = encode(element);
        index.ensureCapacity(size + 1L);
        long ref = heap.append(data);
        index.move(i, i + 1, size - i);
        index.set(i, ref);
        size++;
        modCount++;
        epoch++;
    }

    @Override
    public E remove(int i) {
        checkOpen();
        Objects.checkIndex(i, size);
        long old = index.get(i);
        E previous = decode(old);
        index.move(i + 1, i, size - i - 1);
        size--;
        modCount++;
        epoch++;
        index.trim(size);
        drop(old);
        return previous;
    }

    /** Removes elements {@code [from, to)}: one shift of the refs after them; used by {@code subList(...).clear()}. */
    @Override
    protected void removeRange(int from, int to) {
        checkOpen();
        Objects.checkFromToIndex(from, to, size);
        if (from == to) {
            return;
        }
        long[] refs = new long[Math.min(to - from, RefWindows.REFS)];
        for (int i = from; i < to; ) {
            int n = Math.min(refs.length, to - i);
            index.read(i, refs, 0, n);
            for (int j = 0; j < n; j++) {
                heap.release(refs[j]);
            }
            i += n;
        }
        index.move(to, from, size - to);
        size -= to - from;
        modCount++;
        epoch++;
        index.trim(size);
        compactIfWorthIt();
    }

    /**
     * Removes the elements {@code filter} accepts in two passes, as {@code ArrayList} does: the first decodes every
     * element (reading ahead) and tests it, changing nothing, so a throwing filter leaves the list as it was; the
     * second closes the gaps in the index in one sweep. Linear, where removing through an iterator shifts the
     * index once per removal.
     */
    @Override
    public boolean removeIf(Predicate<? super E> filter) {
        Objects.requireNonNull(filter, "filter");
        checkOpen();
        int n = size;
        int expected = modCount;
        long[] doomed = new long[(n + 63) >>> 6];
        RefWindows refs = new RefWindows(index, heap, window);
        boolean any = false;
        for (int i = 0; i < n; i++) {
            if (filter.test(decode(refs.ref(i, n, epoch)))) {
                doomed[i >>> 6] |= 1L << i;
                any = true;
            }
        }
        if (modCount != expected) {
            throw new ConcurrentModificationException();
        }
        if (!any) {
            return false;
        }
        long[] buf = new long[RefWindows.REFS];
        int kept = 0;
        for (int i = 0; i < n; ) {
            int k = Math.min(buf.length, n - i);
            index.read(i, buf, 0, k);
            int keep = 0;
            for (int j = 0; j < k; j++) {
                int at = i + j;
                if ((doomed[at >>> 6] & (1L << at)) != 0) {
                    heap.release(buf[j]);
                } else {
                    buf[keep++] = buf[j];
                }
            }
            index.write(kept, buf, 0, keep);
            kept += keep;
            i += k;
        }
        size = kept;
        modCount++;
        epoch++;
        index.trim(size);
        compactIfWorthIt();
        return true;
    }

    /** {@link #removeIf} with {@code c::contains}: linear in the size of the list (times the cost of contains). */
    @Override
    public boolean removeAll(Collection<?> c) {
        Objects.requireNonNull(c, "c");
        return removeIf(c::contains);
    }

    /** {@link #removeIf} with the opposite of {@code c::contains}. */
    @Override
    public boolean retainAll(Collection<?> c) {
        Objects.requireNonNull(c, "c");
        return removeIf(e -> !c.contains(e));
    }

    /** Removes every element and frees all far memory the list holds; it can be used again. */
    @Override
    public void clear() {
        checkOpen();
        freeAll();
        modCount++;
    }

    /** An iterator that reads ahead (see the class comment); fail-fast; supports {@link Iterator#remove}. */
    @Override
    public Iterator<E> iterator() {
        checkOpen();
        return new Itr();
    }

    /**
     * ORDERED, SIZED, SUBSIZED and NONNULL; binds to the list when created and is fail-fast. Splits for parallel
     * streams, each part reading ahead on its own.
     */
    @Override
    public Spliterator<E> spliterator() {
        checkOpen();
        return new Split(0, size, modCount);
    }

    @Override
    public void forEach(Consumer<? super E> action) {
        Objects.requireNonNull(action, "action");
        spliterator().forEachRemaining(action);
    }

    /** As {@link List#equals}, but walking both lists with their iterators, so this one reads ahead. */
    @Override
    public boolean equals(Object o) {
        if (o == this) {
            return true;
        }
        if (!(o instanceof List<?> other)) {
            return false;
        }
        Iterator<E> mine = iterator();
        Iterator<?> theirs = other.iterator();
        while (mine.hasNext() && theirs.hasNext()) {
            if (!Objects.equals(mine.next(), theirs.next())) {
                return false;
            }
        }
        return !(mine.hasNext() || theirs.hasNext());
    }

    /** As {@link List#hashCode} (through the iterator, which reads ahead). */
    @Override
    public int hashCode() {
        return super.hashCode();
    }

    /** Frees all far memory of the list. Idempotent; afterwards every method throws {@link IllegalStateException}. */
    @Override
    public void close() {
        if (!closed) {
            freeAll();
            closed = true;
            modCount++;
        }
    }

    /** Bytes of encoded elements in heap chunks, garbage included (for tests and monitoring). */
    long heapBytes() {
        return heap.chunkBytes();
    }

    /** Bytes of heap chunks no element refers to any more. */
    long garbageBytes() {
        return heap.garbage();
    }

    private void freeAll() {
        epoch++;
        size = 0;
        try {
            heap.clear();
        } finally {
            index.clear();
        }
    }

    private void drop(long ref) {
        heap.release(ref);
        compactIfWorthIt();
    }

    private void compactIfWorthIt() {
        if (heap.wantsCompaction()) {
            epoch++;
            heap.compact(index, size);
        }
    }

    private byte[] encode(E element) {
        Objects.requireNonNull(element, "FarList does not allow null elements");
        return Objects.requireNonNull(codec.encode(element), "the codec returned null");
    }

    private E decode(long ref) {
        byte[] data = heap.read(ref);
        return codec.decode(data, 0, data.length);
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("FarList is closed");
        }
    }

    private final class Itr implements Iterator<E> {
        private final RefWindows refs = new RefWindows(index, heap, window);
        private int cursor;
        private int lastReturned = -1;
        private int expectedModCount = modCount;

        @Override
        public boolean hasNext() {
            return cursor != size;
        }

        @Override
        public E next() {
            checkForComodification();
            int i = cursor;
            if (i >= size) {
                throw new NoSuchElementException();
            }
            E e = decode(refs.ref(i, size, epoch));
            cursor = i + 1;
            lastReturned = i;
            return e;
        }

        @Override
        public void remove() {
            if (lastReturned < 0) {
                throw new IllegalStateException();
            }
            checkForComodification();
            FarList.this.remove(lastReturned);
            cursor = lastReturned;
            lastReturned = -1;
            expectedModCount = modCount;
        }

        private void checkForComodification() {
            checkOpen();
            if (modCount != expectedModCount) {
                throw new ConcurrentModificationException();
            }
        }
    }

    private final class Split implements Spliterator<E> {
        private final int expectedModCount;
        private final int end;
        private int next;
        private RefWindows refs;

        Split(int from, int to, int expectedModCount) {
            this.next = from;
            this.end = to;
            this.expectedModCount = expectedModCount;
        }

        @Override
        public boolean tryAdvance(Consumer<? super E> action) {
            Objects.requireNonNull(action);
            if (next >= end) {
                return false;
            }
            E e = element(next++);
            action.accept(e);
            return true;
        }

        @Override
        public void forEachRemaining(Consumer<? super E> action) {
            Objects.requireNonNull(action);
            while (next < end) {
                action.accept(element(next++));
            }
            if (modCount != expectedModCount) {
                throw new ConcurrentModificationException();
            }
        }

        private E element(int i) {
            checkOpen();
            if (modCount != expectedModCount) {
                throw new ConcurrentModificationException();
            }
            if (refs == null) {
                refs = new RefWindows(index, heap, window);
            }
            return decode(refs.ref(i, end, epoch));
        }

        @Override
        public Spliterator<E> trySplit() {
            int mid = (next + end) >>> 1;
            if (mid - next < RefWindows.REFS / 4) {
                return null;
            }
            Split prefix = new Split(next, mid, expectedModCount);
            next = mid;
            return prefix;
        }

        @Override
        public long estimateSize() {
            return end - next;
        }

        @Override
        public int characteristics() {
            return ORDERED | SIZED | SUBSIZED | NONNULL;
        }
    }
}
