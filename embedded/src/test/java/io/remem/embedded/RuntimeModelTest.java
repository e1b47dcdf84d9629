package io.remem.embedded;

import io.remem.client.DirtyTracking;
import io.remem.client.EvictionPolicy;
import io.remem.client.FarSegment;
import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Model-based test of the whole runtime over real TCP: random allocations (small objects from size classes and
 * large slab runs), frees, typed and bulk accesses and flushes through a cache of a few frames, every read
 * checked against a plain {@code byte[]} per segment. Freed memory that comes back must read as zeros.
 */
class RuntimeModelTest {
    @RegisterExtension
    static final EmbeddedClusterExtension cluster = new EmbeddedClusterExtension(
            EmbeddedCluster.builder().nodes(3).nodeCapacity(512L << 20).slabShift(20));

    private record Live(FarSegment segment, byte[] model) {}

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
    void randomProgramsAgreeWithTheModel(int seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int blockSize = new int[] {256, 1024, 4096}[seed % 3];
        // Every seed a different mix of options, so each policy, tracking mode and reclaim mode is covered.
        // Seeds without background reclaim keep one copy, whose dirty victims piggyback on fetches (checked below);
        // the others keep two, so the model also covers replicated write-back.
        RememOptions options = RememOptions.builder().tenant("model-" + seed).replication(seed % 2 == 0 ? 2 : 1)
                .cacheBytes(blockSize * 8L).blockSize(blockSize)
                .evictionPolicy(EvictionPolicy.values()[seed % 3])
                .dirtyTracking(seed % 4 < 2 ? DirtyTracking.LINE : DirtyTracking.BLOCK)
                .backgroundReclaim(seed % 2 == 0)
                .prefetchWindow(seed % 5 == 0 ? 0 : 8)
                .build();
        try (RememSession s = cluster.connect(options)) {
            List<Live> live = new ArrayList<>();
            for (int step = 0; step < 3000; step++) {
                int op = random.nextInt(100);
                if (op < 8 || live.isEmpty()) {
                    long size = random.nextInt(4) == 0 ? 300_000 + random.nextInt(2_000_000) : 1 + random.nextInt(5000);
                    FarSegment seg = s.memory().allocate(size);
                    byte[] model = new byte[(int) size];
                    assertThat(seg.toArray()).as("step %d: fresh allocation of %d bytes reads as zeros", step, size)
                            .isEqualTo(model);
                    live.add(new Live(seg, model));
                    continue;
                }
                Live l = live.get(random.nextInt(live.size()));
                int n = l.model().length;
                if (op < 12) {
                    l.segment().free();
                    live.remove(l);
                } else if (op < 40) {
                    int len = 1 + random.nextInt(Math.min(n, 3 * blockSize));
                    int off = random.nextInt(n - len + 1);
                    byte[] data = new byte[len];
                    random.nextBytes(data);
                    FarSegment.copy(data, 0, l.segment(), off, len);
                    System.arraycopy(data, 0, l.model(), off, len);
                } else if (op < 55 && n >= 8) {
                    int off = random.nextInt(n - 7);
                    long v = random.nextLong();
                    l.segment().set(ValueLayout.JAVA_LONG_UNALIGNED, off, v);
                    MemorySegment.ofArray(l.model()).set(ValueLayout.JAVA_LONG_UNALIGNED, off, v);
                } else if (op < 58) {
                    s.memory().flush();
                } else if (op < 80) {
                    int len = 1 + random.nextInt(Math.min(n, 3 * blockSize));
                    int off = random.nextInt(n - len + 1);
                    byte[] out = new byte[len];
                    FarSegment.copy(l.segment(), off, out, 0, len);
                    assertThat(out).as("step %d: %d bytes at %d of a %d-byte segment", step, len, off, n)
                            .isEqualTo(Arrays.copyOfRange(l.model(), off, off + len));
                } else if (n >= 8) {
                    int off = random.nextInt(n - 7);
                    assertThat(l.segment().get(ValueLayout.JAVA_LONG_UNALIGNED, off)).as("step %d: long at %d", step, off)
                            .isEqualTo(MemorySegment.ofArray(l.model()).get(ValueLayout.JAVA_LONG_UNALIGNED, off));
                }
            }
            for (Live l : live) {
                assertThat(l.segment().toArray()).isEqualTo(l.model());
                l.segment().free();
            }
            var stats = s.memory().stats();
            assertThat(stats.evictions()).isPositive();
            if (!options.backgroundReclaim()) {
                assertThat(stats.piggybacks()).as("dirty victims went back with fetches").isPositive();
            }
        }
    }
}
