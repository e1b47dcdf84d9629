package io.remem.collections;

import com.google.common.collect.testing.ConcurrentMapTestSuiteBuilder;
import com.google.common.collect.testing.TestStringMapGenerator;
import com.google.common.collect.testing.features.CollectionFeature;
import com.google.common.collect.testing.features.CollectionSize;
import com.google.common.collect.testing.features.MapFeature;
import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import io.remem.embedded.EmbeddedCluster;
import junit.extensions.TestSetup;
import junit.framework.Test;
import junit.framework.TestSuite;
import org.junit.runner.RunWith;
import org.junit.runners.AllTests;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@link FarMap} against Guava's {@link java.util.concurrent.ConcurrentMap} contract suites (JUnit 3 style, run by
 * the vintage engine): every Map, ConcurrentMap and view operation, iterators checked in the map's documented order.
 * Twice: a map that starts as one small shard, and one that starts as 16 shards of the smallest region, so small maps
 * spread over several shards and iterations cross shards. All maps share one cluster and session; each test's maps
 * are closed after it.
 */
@RunWith(AllTests.class)
public class FarMapContractTest {
    private static EmbeddedCluster cluster;
    private static RememSession session;
    private static final List<FarMap<?, ?>> open = new ArrayList<>();

    public static Test suite() {
        TestSuite all = new TestSuite("FarMap");
        all.addTest(suite("FarMap, one shard", () -> FarMap.create(session.memory(), Codec.utf8(), Codec.utf8())));
        all.addTest(suite("FarMap, 16 shards", () -> FarMap.builder(session.memory(), Codec.utf8(), Codec.utf8())
                .expectedSize(500).regionBytes(4096).build()));
        return new TestSetup(all) {
            @Override
            protected void setUp() {
                cluster = EmbeddedCluster.builder().nodes(2).nodeCapacity(256L << 20).slabShift(20).start();
                session = cluster.connect(RememOptions.builder().tenant("farmap-contract")
                        .cacheBytes(256 << 10).blockSize(1024).build());
            }

            @Override
            protected void tearDown() {
                closeOpen();
                session.close();
                cluster.close();
            }
        };
    }

    private static Test suite(String name, Supplier<FarMap<String, String>> factory) {
        return ConcurrentMapTestSuiteBuilder.using(new TestStringMapGenerator() {
                    @Override
                    protected Map<String, String> create(Map.Entry<String, String>[] entries) {
                        FarMap<String, String> map = factory.get();
                        synchronized (open) {
                            open.add(map);
                        }
                        for (Map.Entry<String, String> e : entries) {
                            map.put(e.getKey(), e.getValue());
                        }
                        return map;
                    }

                    @Override
                    public Iterable<Map.Entry<String, String>> order(List<Map.Entry<String, String>> insertionOrder) {
                        List<Map.Entry<String, String>> sorted = new ArrayList<>(insertionOrder);
                        sorted.sort(Comparator.comparing(e -> e.getKey().getBytes(StandardCharsets.UTF_8),
                                (a, b) -> KeyHash.compare(KeyHash.hash(a), a, KeyHash.hash(b), b)));
                        return sorted;
                    }
                })
                .named(name)
                .withFeatures(MapFeature.GENERAL_PURPOSE, CollectionFeature.SUPPORTS_ITERATOR_REMOVE,
                        CollectionFeature.KNOWN_ORDER, CollectionSize.ANY)
                .withTearDown(FarMapContractTest::closeOpen)
                .createTestSuite();
    }

    private static void closeOpen() {
        synchronized (open) {
            open.forEach(FarMap::close);
            open.clear();
        }
    }
}
