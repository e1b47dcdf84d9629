package io.remem.cli.it;

import io.remem.client.FarSegment;
import io.remem.client.Remem;
import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.RememException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Allocation past a tenant's quota or the cluster's capacity fails with a clear error, and nothing leaks. */
class LimitsIT {
    @TempDir
    Path dir;

    @Test
    void quotaAndCapacityAreEnforced() throws Exception {
        try (ProcessCluster cluster = ProcessCluster.start(dir, 2, "32m", "--slab-size", "8m")) {
            cluster.addTenant("small", 16L << 20);
            quotaAndCapacity(cluster);
        }
    }

    private static void quotaAndCapacity(ProcessCluster cluster) throws Exception {
        try (RememSession small = cluster.connect(RememOptions.builder().tenant("small").cacheBytes(1 << 20).build());
             RememSession big = cluster.connect( // one copy: the arithmetic below counts bytes once
                     RememOptions.builder().tenant("big").replication(1).cacheBytes(1 << 20).build())) {
            FarSegment first = small.memory().allocate(12L << 20);
            assertThatThrownBy(() -> small.memory().allocate(8L << 20))
                    .isInstanceOf(RememException.class)
                    .satisfies(e -> assertThat(((RememException) e).code()).isEqualTo(ErrorCode.QUOTA_EXCEEDED))
                    .hasMessageContaining("tenant small").hasMessageContaining("quota of " + (16L << 20));
            first.free();
            FarSegment again = small.memory().allocate(12L << 20); // freeing gave the quota back
            again.free();

            FarSegment most = big.memory().allocate(48L << 20); // of 64 MiB in the cluster
            assertThatThrownBy(() -> big.memory().allocate(24L << 20))
                    .isInstanceOf(RememException.class)
                    .satisfies(e -> assertThat(((RememException) e).code()).isEqualTo(ErrorCode.CLUSTER_OUT_OF_CAPACITY))
                    .hasMessageContaining("cannot place a slab");
            long usedAfterFailure = cluster.status().tenants().stream()
                    .filter(t -> t.name().equals("big")).findFirst().orElseThrow().usedBytes();
            assertThat(usedAfterFailure).as("a failed allocation charges nothing").isEqualTo(48L << 20);
            most.free();
            FarSegment all = big.memory().allocate(64L << 20); // everything came back
            all.free();
        }
    }
}
