package io.remem.collections;

import io.remem.client.OffloadMode;
import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import io.remem.embedded.EmbeddedCluster;
import io.remem.embedded.EmbeddedClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * FarMap gets run at the memory node, pulled through the cache, and chosen by remem, on random data over three
 * memory nodes: all must give what a HashMap holding the same entries gives, including entries still dirty in the
 * cache, out-of-line values, and keys that are absent.
 */
class FarMapOffloadTest {
    @RegisterExtension
    static final EmbeddedClusterExtension cluster = new EmbeddedClusterExtension(
            EmbeddedCluster.builder().nodes(3).nodeCapacity(512L << 20).slabShift(20))
            .withSession(RememOptions.builder().tenant("farmap-offload").cacheBytes(512 << 10).build());

    private static RememSession session() {
        return cluster.session();
    }

    @Test
    void nearPulledAndAutoGetsAgreeWithAHashMap() {
        SplittableRandom random = new SplittableRandom(11);
        Map<String, byte[]> model = new HashMap<>();
        try (FarMap<String, byte[]> map = FarMap.create(session().memory(), Codec.utf8(), Codec.bytes())) {
            for (int round = 0; round < 6; round++) {
                for (int i = 0; i < 3000; i++) {
                    String key = "k" + random.nextInt(12_000);
                    int size = random.nextInt(100) == 0 ? 40_000 + random.nextInt(60_000) : random.nextInt(600);
                    byte[] value = new byte[size];
                    random.nextBytes(value);
                    if (random.nextInt(10) == 0) {
                        map.delete(key);
                        model.remove(key);
                    } else {
                        map.set(key, value);
                        model.put(key, value);
                    }
                }
                // Half the rounds check right away, with the latest writes dirty in the cache; half after a flush.
                if (round % 2 == 1) {
                    session().memory().flush();
                }
                for (int i = 0; i < 2000; i++) {
                    String key = "k" + random.nextInt(12_000);
                    byte[] expected = model.get(key);
                    for (OffloadMode mode : OffloadMode.values()) {
                        assertThat(map.get(key, mode)).as("round %d %s %s", round, key, mode).isEqualTo(expected);
                    }
                }
            }
            assertThat(map.size()).isEqualTo(model.size());
        }
    }

    @Test
    void aMapBuiltToRunGetsNearAnswersLikeAnyOther() {
        try (FarMap<Long, String> map = FarMap.builder(session().memory(), Codec.int64(), Codec.utf8())
                .gets(OffloadMode.NEAR).build()) {
            for (long i = 0; i < 5000; i++) {
                map.put(i, "v" + i);
            }
            for (long i = 0; i < 5000; i += 7) {
                assertThat(map.get(i)).isEqualTo("v" + i);
                map.put(i, "w" + i); // dirty again: the next near get must see it
                assertThat(map.get(i)).isEqualTo("w" + i);
            }
            assertThat(map.get(-1L)).isNull();
        }
    }
}
