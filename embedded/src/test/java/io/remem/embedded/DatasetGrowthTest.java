package io.remem.embedded;

import io.remem.client.Acquisition;
import io.remem.client.CommitConflictException;
import io.remem.client.Dataset;
import io.remem.client.DatasetOptions;
import io.remem.client.FarRange;
import io.remem.client.FarSegment;
import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import io.remem.collections.FarLongArray;
import io.remem.protocol.DatasetAccess;
import io.remem.protocol.DatasetMode;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.Limits;
import io.remem.protocol.RememException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Datasets that grow, over real TCP with two copies of every slab: bytes stay where they were, the new ones are zeros,
 * every runtime reaches them once it refreshes or opens the dataset again, coherent datasets keep their guarantees
 * across it, and growth is refused where it cannot be had (not created growable, another tenant's, over quota).
 */
class DatasetGrowthTest {
    private static final long MIB = 1 << 20;
    @RegisterExtension
    static final EmbeddedClusterExtension cluster = new EmbeddedClusterExtension(
            EmbeddedCluster.builder().nodes(2).nodeCapacity(64L << 20).slabShift(20)
                .quotas(Long.MAX_VALUE / 4, Map.of("small-g", 4 * MIB)));

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
    void withoutGrowableADatasetGrowsOnlyWithinItsLastSlab() {
        try (RememSession a = session("fixed-g");
             Dataset d = a.memory().dataset("tight", DatasetOptions.create(MIB + 100))) {
            long granule = Limits.SLAB_GRANULE;
            assertThat(d.grow(MIB + granule)).isEqualTo(MIB + granule);
            writeWords(d.segment(), MIB, MIB + granule);
            assertThatThrownBy(() -> d.grow(2 * MIB)).isInstanceOfSatisfying(RememException.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT)).hasMessageContaining("growable");
            assertThat(d.refresh()).isEqualTo(MIB + granule);
            checkWords(d.segment(), MIB, MIB + granule);
        }
    }

    @Test
    void aClosedHandleNeitherGrowsNorRefreshes() {
        try (RememSession a = session("closed-g")) {
            Dataset d = a.memory().dataset("gone", DatasetOptions.create(MIB).growable());
            d.close();
            assertThatThrownBy(() -> d.grow(2 * MIB)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("closed");
            assertThatThrownBy(d::refresh).isInstanceOf(IllegalStateException.class);
            try (Dataset again = a.memory().dataset("gone", DatasetOptions.open())) {
                assertThat(again.byteSize()).isEqualTo(MIB);
            }
        }
    }

    /**
     * A coherent dataset grows with its stripes and log where they were: commits past the old end are whole to
     * readers, a runtime that still knows the old size keeps committing within it, and learns the rest on refresh.
     */
    @ParameterizedTest
    @EnumSource(value = DatasetMode.class, names = {"MRSW", "MRMW"})
    void aCoherentDatasetGrowsUnderItsUsersAndCommitsPastTheOldEndAreWhole(DatasetMode mode) {
        long before = 64 << 10;
        long after = 3 * MIB;
        String name = "ledger-" + mode;
        try (RememSession a = session("coherent-g"); RememSession b = session("coherent-g");
             Dataset da = a.memory().dataset(name, DatasetOptions.create(before).growable().mode(mode));
             Dataset db = b.memory().dataset(name, DatasetOptions.open())) {
            commitLong(da, 8, 7);
            assertThat(da.grow(after)).isEqualTo(after);
            assertThat(da.createdByteSize()).isEqualTo(before);
            // Past the old end, two ranges at once: one right after it, one at the new end (other stripes, or the same
            // ones again, as the stripes repeat).
            for (long v = 1; v <= 5; v++) {
                try (Acquisition acq = da.acquire(new FarRange(before, 4096), new FarRange(after - 4096, 4096))) {
                    acq.buffer(0).fill((byte) v);
                    acq.buffer(1).fill((byte) v);
                    acq.commit();
                } catch (CommitConflictException e) {
                    v--; // MRMW: b's commit below raced it; redo
                }
                commitLong(db, 16, v); // b still knows the old size, and commits within it
            }
            assertThatThrownBy(() -> db.readLong(before)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThat(db.refresh()).isEqualTo(after);
            MemorySegment both = MemorySegment.ofArray(new byte[8192]);
            db.read(before, both.asSlice(0, 4096));
            db.read(after - 4096, both.asSlice(4096, 4096));
            for (long off = 0; off < 8192; off++) {
                assertThat(both.get(ValueLayout.JAVA_BYTE, off)).as("byte %d", off).isEqualTo((byte) 5);
            }
            assertThat(db.readLong(8)).isEqualTo(7);
            assertThat(da.readLong(16)).isEqualTo(5);
            a.memory().deleteDataset(name, true);
        }
    }

    private static void commitLong(Dataset d, long offset, long value) {
        while (true) {
            try (Acquisition acq = d.acquire(offset, 8)) {
                acq.buffer().set(ValueLayout.JAVA_LONG, 0, value);
                acq.commit();
                return;
            } catch (CommitConflictException e) {
                // MRMW: another writer first; redo
            }
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
