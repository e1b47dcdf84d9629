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
import org.junit.runner.RunWith;
import org.junit.runners.AllTests;

import java.util.Map;

/**
 * {@link SharedFarMap} against Guava's {@link java.util.concurrent.ConcurrentMap} contract suites: every Map,
 * ConcurrentMap and view operation, in no particular order (buckets are in hash order). One map of 4 buckets, so
 * small maps still spread over several buckets, cleared for each test; a second handle on the same dataset, opened
 * in another session, is what the tests use, so every operation crosses sessions.
 */
@RunWith(AllTests.class)
public class SharedFarMapContractTest {
    private static EmbeddedCluster cluster;
    private static RememSession session;
    private static RememSession other;
    /** What the tests see. */
    private static SharedFarMap<String, String> map;
    /** The same map through another session, which sets up each test's entries. */
    private static SharedFarMap<String, String> writer;

    public static Test suite() {
        Test maps = ConcurrentMapTestSuiteBuilder.using(new TestStringMapGenerator() {
                    @Override
                    protected Map<String, String> create(Map.Entry<String, String>[] entries) {
                        writer.clear();
                        for (Map.Entry<String, String> e : entries) {
                            writer.put(e.getKey(), e.getValue());
                        }
                        return map;
                    }
                })
                .named("SharedFarMap")
                .withFeatures(MapFeature.GENERAL_PURPOSE, CollectionFeature.SUPPORTS_ITERATOR_REMOVE, CollectionSize.ANY)
                .createTestSuite();
        return new TestSetup(maps) {
            @Override
            protected void setUp() {
                cluster = EmbeddedCluster.builder().nodes(2).nodeCapacity(256L << 20).slabShift(20).start();
                session = cluster.connect(RememOptions.builder().tenant("shared-contract").cacheBytes(256 << 10).build());
                other = cluster.connect(RememOptions.builder().tenant("shared-contract").cacheBytes(256 << 10).build());
                map = FarMap.open(session.memory(), "contract", Codec.utf8(), Codec.utf8(), 4 * SharedFarMap.BUCKET);
                writer = FarMap.open(other.memory(), "contract", Codec.utf8(), Codec.utf8());
            }

            @Override
            protected void tearDown() {
                map.close();
                writer.close();
                other.close();
                session.close();
                cluster.close();
            }
        };
    }
}
