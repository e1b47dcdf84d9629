package io.remem.embedded;

import io.remem.client.Dataset;
import io.remem.client.DatasetOptions;
import io.remem.client.FarSegment;
import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import io.remem.collections.FarLongArray;
import io.remem.protocol.DatasetAccess;
import io.remem.protocol.DatasetMode;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.Limits;
import io.remem.protocol.RememException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Datasets that grow, over real TCP with two copies of every slab: bytes stay where they were, the new ones are zeros,
 * every runtime reaches them once it refreshes or opens the dataset again, and growth is refused where it cannot be
 * had (not created growable, coherent, another tenant's, over quota).
 */
class DatasetGrowthTest {
    private static final long MIB = 1 << 20;
    static EmbeddedCluster cluster;

    @BeforeAll
    static void start() {
        cluster = EmbeddedCluster.builder().nodes(2).nodeCapacity(64L << 20).slabShift(20)
                .quotas(Long.MAX_VALUE / 4, Map.of("small-g", 4 * MIB)).start();
    }

    @AfterAll
    static void stop() {
        cluster.close();
    }

    private static RememSession session(String tenant) {
        return cluster.connect(RememOptions.builder().tenant(tenant).cacheBytes(512 << 10).replication(2).build());
    }

    /** Word {@code i}'s value in the pattern these tests write: never zero. */
    private static long word(long i) {
        return i * 0x9E3779B97F4A7C15L | 1;
    }

    private static void writeWords(FarSegment s, long from, long to) {
        for (long off = from; off < to; off += 8) {
            s.set(ValueLayout.JAVA_LONG, off, word(off >>> 3));
        }
    }

    private static void checkWords(FarSegment s, long from, long to) {
        for (long off = from; off < to; off += 8) {
            assertThat(s.get(ValueLayout.JAVA_LONG, off)).as("word at %d", off).isEqualTo(word(off >>> 3));
        }
    }

    @Test
    void aGrowableDatasetGrowsInPlaceAndEveryRuntimeReachesTheNewBytesOnceItRefreshes() {
        long before = MIB + MIB / 2;
        long after = 5 * MIB + 8;
        try (RememSession a = session("grower"); RememSession b = session("grower");
             Dataset da = a.memory().dataset("log", DatasetOptions.create(before).growable());
             Dataset db = b.memory().dataset("log", DatasetOptions.open())) {
            FarSegment small = da.segment();
            writeWords(small, 0, before);
            small.force();
            assertThat(da.grow(after)).isEqualTo(after);
            assertThat(da.byteSize()).isEqualTo(after);
            FarSegment big = da.segment();
            assertThat(big.address()).as("a dataset's bytes never move").isEqualTo(small.address());
            assertThat(big.byteSize()).isEqualTo(after);
            assertThat(small.byteSize()).as("a segment keeps its size").isEqualTo(before);
            checkWords(big, 0, before);
            for (long off = before; off < after; off += 4096) {
                assertThat(big.get(ValueLayout.JAVA_LONG, off)).as("new bytes are zeros, at %d", off).isZero();
            }
            writeWords(big, before, after);
            big.force();

            // A runtime that had it open keeps its size until it refreshes; then it reaches everything.
            assertThat(db.byteSize()).isEqualTo(before);
            assertThat(db.refresh()).isEqualTo(after);
            checkWords(db.segment(), 0, after);
            // Asking for less than it has changes nothing.
            assertThat(db.grow(MIB)).isEqualTo(after);
        }
        // And one that opens it afresh sees all of it, as a typed view too.
        try (RememSession c = session("grower"); Dataset dc = c.memory().dataset("log", DatasetOptions.open())) {
            assertThat(dc.byteSize()).isEqualTo(after);
            FarLongArray words = FarLongArray.open(c.memory(), dc);
            assertThat(words.length()).isEqualTo(after / 8);
            assertThat(words.get(after / 8 - 1)).isEqualTo(word(after / 8 - 1));
            c.memory().deleteDataset("log", false);
        }
    }

    @Test
    void withoutGrowableADatasetGrowsOnlyWithinItsLastSlabAndACoherentOneNotAtAll() {
        try (RememSession a = session("fixed-g");
             Dataset d = a.memory().dataset("tight", DatasetOptions.create(MIB + 100));
             Dataset coherent = a.memory().dataset("coherent", DatasetOptions.create(64 << 10).mode(DatasetMode.MRSW))) {
            long granule = Limits.SLAB_GRANULE;
            assertThat(d.grow(MIB + granule)).isEqualTo(MIB + granule);
            writeWords(d.segment(), MIB, MIB + granule);
            assertThatThrownBy(() -> d.grow(2 * MIB)).isInstanceOfSatisfying(RememException.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT)).hasMessageContaining("growable");
            assertThat(d.refresh()).isEqualTo(MIB + granule);
            checkWords(d.segment(), MIB, MIB + granule);
            assertThatThrownBy(() -> coherent.grow(MIB)).isInstanceOf(UnsupportedOperationException.class)
                    .hasMessageContaining("keeps the size");
            assertThatThrownBy(() -> DatasetOptions.create(MIB).mode(DatasetMode.MRMW).growable())
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void aGranteeReachesTheGrownBytesButOnlyTheOwnerGrowsIt() {
        try (RememSession owner = session("owner-g"); RememSession other = session("other-g");
             Dataset mine = owner.memory().dataset("shared", DatasetOptions.create(MIB).growable())) {
            owner.memory().grantDataset("shared", "other-g", DatasetAccess.READ_WRITE);
            try (Dataset theirs = other.memory().dataset("owner-g", "shared", DatasetOptions.open())) {
                assertThat(theirs.byteSize()).isEqualTo(MIB);
                mine.grow(3 * MIB);
                writeWords(mine.segment(), 2 * MIB, 3 * MIB);
                mine.segment().force();
                assertThatThrownBy(() -> theirs.grow(4 * MIB)).isInstanceOfSatisfying(RememException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.ACCESS_DENIED));
                // The refresh brings a grant that covers the new slabs, so the memory nodes let it in.
                assertThat(theirs.refresh()).isEqualTo(3 * MIB);
                checkWords(theirs.segment(), 2 * MIB, 3 * MIB);
                theirs.segment().set(ValueLayout.JAVA_LONG, 3 * MIB - 8, 42);
                theirs.segment().force();
            }
            mine.segment().refresh(3 * MIB - 8, 8);
            assertThat(mine.segment().get(ValueLayout.JAVA_LONG, 3 * MIB - 8)).isEqualTo(42);
        }
    }

    @Test
    void growthBeyondTheQuotaIsRefusedAndChangesNothing() {
        try (RememSession a = session("small-g");
             Dataset d = a.memory().dataset("capped", DatasetOptions.create(MIB).growable().replication(1))) {
            assertThat(d.grow(4 * MIB)).isEqualTo(4 * MIB);
            assertThatThrownBy(() -> d.grow(5 * MIB)).isInstanceOfSatisfying(RememException.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.QUOTA_EXCEEDED));
            assertThat(d.refresh()).isEqualTo(4 * MIB);
            writeWords(d.segment(), 4 * MIB - 4096, 4 * MIB);
            checkWords(d.segment(), 4 * MIB - 4096, 4 * MIB);
        }
    }
}
