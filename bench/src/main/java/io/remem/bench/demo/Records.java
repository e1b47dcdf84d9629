package io.remem.bench.demo;

import io.remem.bench.ZipfGenerator;

/**
 * The content of record {@code slot} at version {@code version}: eight longs derived from both, so a read can
 * be checked without keeping the data. Version 0 is the never-written record: all zeros.
 */
final class Records {
    static final int WORDS = DemoConfig.RECORD_BYTES / Long.BYTES;

    private Records() {}

    static long word(long slot, int version, int i) {
        if (version == 0) {
            return 0;
        }
        return ZipfGenerator.mix(slot * 0x9E3779B97F4A7C15L + version * 0xC2B2AE3D27D4EB4FL + i);
    }

    static void fill(long[] words, long slot, int version) {
        for (int i = 0; i < WORDS; i++) {
            words[i] = word(slot, version, i);
        }
    }

    /** Index of the first word of {@code words} that differs from the expected content, or -1. */
    static int firstMismatch(long[] words, long slot, int version) {
        for (int i = 0; i < WORDS; i++) {
            if (words[i] != word(slot, version, i)) {
                return i;
            }
        }
        return -1;
    }
}
