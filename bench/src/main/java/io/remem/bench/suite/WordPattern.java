package io.remem.bench.suite;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The self-checking contents of the array workloads. Word {@code w} holds a generation {@code g} in its upper half
 * and {@code code(w) ^ g} in its lower half, so any word read can be checked on its own: a word from the wrong
 * place, a torn word or a zero where data was written fails, whatever else is going on. The position code is one
 * multiply, so that checking costs the all-local baseline little and does not hide the cost of far memory.
 */
final class WordPattern {
    private WordPattern() {}

    static long encode(long word, int generation) {
        return ((long) generation << 32) | (code(word) ^ generation) & 0xFFFF_FFFFL;
    }

    static int generation(long value) {
        return (int) (value >>> 32);
    }

    static boolean valid(long word, long value) {
        return (int) value == (code(word) ^ (int) (value >>> 32));
    }

    /** Odd multiplier (2^32 / golden ratio) plus one: zero maps to a nonzero code, so an unwritten word fails. */
    private static int code(long word) {
        return (int) ((word + 1) * 0x9E3779B97F4A7C15L >>> 32);
    }

    /** Fills {@code len} bytes of {@code buf} with words from {@code firstWord} on, all at {@code generation}. */
    static void fill(MemorySegment buf, int len, long firstWord, int generation) {
        for (int i = 0; i < len; i += 8) {
            buf.set(ValueLayout.JAVA_LONG, i, encode(firstWord + i / 8, generation));
        }
    }

    /** Writes generation 0 everywhere, in 64 KiB writes, and flushes. */
    static void load(ArrayStore store) {
        MemorySegment buf = MemorySegment.ofArray(new long[8192]);
        long size = store.byteSize();
        for (long off = 0; off < size; off += buf.byteSize()) {
            int len = (int) Math.min(buf.byteSize(), size - off);
            fill(buf, len, off / 8, 0);
            store.write(off, buf, 0, len);
        }
        store.flush();
    }

    /** The words of {@code buf} that are not valid for their place, starting at {@code firstWord}. */
    static int invalid(MemorySegment buf, int len, long firstWord) {
        int bad = 0;
        for (int i = 0; i < len; i += 8) {
            if (!valid(firstWord + i / 8, buf.get(ValueLayout.JAVA_LONG, i))) {
                bad++;
            }
        }
        return bad;
    }
}
