package io.remem.collections;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** The key hash is part of the stored format of shared maps: fixed values, no cluster needed. */
class KeyHashTest {
    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void fnv1aMatchesThePublishedTestVectors() {
        // From the FNV reference test suite (Fowler, Noll, Vo), 64-bit FNV-1a.
        assertThat(KeyHash.fnv1a(utf8(""), 0, 0)).isEqualTo(0xcbf29ce484222325L);
        assertThat(KeyHash.fnv1a(utf8("a"), 0, 1)).isEqualTo(0xaf63dc4c8601ec8cL);
        assertThat(KeyHash.fnv1a(utf8("foobar"), 0, 6)).isEqualTo(0x85944171f73967e8L);
    }

    @Test
    void theHashOfAKeyNeverChangesBetweenVersions() {
        // Pinned when the format was fixed: a shared map written by one version is read by the next. If this
        // fails, maps stored in datasets can no longer be read.
        assertThat(KeyHash.hash(new byte[0])).isEqualTo(0xEFD01F60BA992926L);
        assertThat(KeyHash.hash(utf8("user:42"))).isEqualTo(0x998817BEE6718248L);
        assertThat(KeyHash.hash(utf8("foobar"))).isEqualTo(0x2C22194922D1672BL);
    }

    @Test
    void aKeyInsideALargerArrayHashesAsTheKeyAlone() {
        byte[] framed = utf8("xxuser:42yy");
        assertThat(KeyHash.hash(framed, 2, 7)).isEqualTo(KeyHash.hash(utf8("user:42")));
    }

    @Test
    void mixSpreadsNeighbouringKeysOverTheTopBitsTheDirectoryUses() {
        // Keys that differ in their last byte must land in different top-8-bit directory entries, most of the time.
        int[] buckets = new int[256];
        for (int i = 0; i < 4096; i++) {
            buckets[(int) (KeyHash.hash(utf8("key" + i)) >>> 56)]++;
        }
        for (int n : buckets) {
            assertThat(n).as("4096 keys over 256 prefixes, 16 expected each").isBetween(2, 40);
        }
    }

    @Test
    void iterationOrderIsHashUnsignedThenKeyBytesUnsigned() {
        assertThat(KeyHash.compare(1, utf8("b"), -1, utf8("a"))).as("-1 is the largest unsigned hash").isNegative();
        assertThat(KeyHash.compare(5, utf8("a"), 5, utf8("b"))).isNegative();
        assertThat(KeyHash.compare(5, new byte[] {(byte) 0x80}, 5, new byte[] {0x7f})).as("bytes unsigned").isPositive();
        assertThat(KeyHash.compare(5, utf8("same"), 5, utf8("same"))).isZero();
        List<byte[]> keys = new ArrayList<>();
        SplittableRandom random = new SplittableRandom(3);
        for (int i = 0; i < 200; i++) {
            keys.add(utf8(Long.toString(random.nextLong())));
        }
        keys.sort((a, b) -> KeyHash.compare(KeyHash.hash(a), a, KeyHash.hash(b), b));
        for (int i = 1; i < keys.size(); i++) {
            assertThat(Long.compareUnsigned(KeyHash.hash(keys.get(i - 1)), KeyHash.hash(keys.get(i)))).isNotPositive();
        }
    }
}
