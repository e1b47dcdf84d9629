package io.remem.collections;

import java.util.Arrays;

/**
 * The hash of an encoded key, and the order iterators follow. Part of the stored format: a shared map written by one
 * JVM is read by another, so the hash is fixed (no per-process seed) and must never change between versions.
 */
final class KeyHash {
    static final long FNV_OFFSET = 0xCBF29CE484222325L;
    static final long FNV_PRIME = 0x100000001B3L;

    private KeyHash() {}

    /**
     * The 64-bit hash of an encoded key: FNV-1a 64 over its bytes, then murmur3's fmix64 so that every bit depends on
     * every byte (the directory uses the top bits, slots the bottom ones). The memory node never needs it.
     */
    static long hash(byte[] key, int off, int len) {
        return mix(fnv1a(key, off, len));
    }

    static long hash(byte[] key) {
        return hash(key, 0, key.length);
    }

    /** FNV-1a, 64 bits. */
    static long fnv1a(byte[] key, int off, int len) {
        long h = FNV_OFFSET;
        for (int i = off, end = off + len; i < end; i++) {
            h = (h ^ (key[i] & 0xFF)) * FNV_PRIME;
        }
        return h;
    }

    /** murmur3's fmix64. */
    static long mix(long h) {
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        h *= 0xC4CEB9FE1A85EC53L;
        h ^= h >>> 33;
        return h;
    }

    /** The order iterators follow: hash as unsigned, then encoded key bytes unsigned lexicographically. */
    static int compare(long hashA, byte[] keyA, long hashB, byte[] keyB) {
        int c = Long.compareUnsigned(hashA, hashB);
        return c != 0 ? c : Arrays.compareUnsigned(keyA, keyB);
    }
}
