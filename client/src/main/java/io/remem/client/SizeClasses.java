package io.remem.client;

import java.util.Arrays;

/**
 * Size classes for small far objects: steps of 16 bytes up to 128, then four classes per doubling up to
 * {@link #MAX_SMALL}, so rounding wastes at most 20% (and at most 15 bytes below 128). Every class is a
 * multiple of 16, so objects are 16-byte aligned and a class that divides the block size never straddles
 * two blocks.
 */
final class SizeClasses {
    static final int MAX_SMALL = 256 << 10;
    private static final int[] SIZES = build();

    private SizeClasses() {}

    private static int[] build() {
        int[] sizes = new int[64];
        int n = 0;
        for (int s = 16; s <= 128; s += 16) {
            sizes[n++] = s;
        }
        for (int base = 128; base < MAX_SMALL; base *= 2) {
            for (int q = 1; q <= 4; q++) {
                sizes[n++] = base + q * (base / 4);
            }
        }
        return Arrays.copyOf(sizes, n);
    }

    static int count() {
        return SIZES.length;
    }

    static int size(int sizeClass) {
        return SIZES[sizeClass];
    }

    /** The smallest class that holds {@code bytes} (1..MAX_SMALL). */
    static int classOf(long bytes) {
        int i = Arrays.binarySearch(SIZES, (int) bytes);
        return i >= 0 ? i : -i - 1;
    }
}
