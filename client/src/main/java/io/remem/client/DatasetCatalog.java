package io.remem.client;

import io.remem.protocol.DatasetDelete;
import io.remem.protocol.DatasetInfo;
import io.remem.protocol.DatasetName;
import io.remem.protocol.SlabRun;

import java.util.List;

/** A session's way to its tenant's named datasets: opens them into its slab table, closes and deletes them. */
final class DatasetCatalog {
    private final ControllerClient controller;
    private final SlabTable table;
    private final LocalCache cache;
    private final String tenant;
    private final long leaseId;
    private final int replication;
    /** The datasets this session has open, by name: where their slabs are. */
    private final java.util.Map<String, SlabRun> open = new java.util.concurrent.ConcurrentHashMap<>();

    /** @param replication the session's default copies for datasets it creates (0: the cluster's) */
    DatasetCatalog(ControllerClient controller, SlabTable table, LocalCache cache, String tenant, long leaseId,
                   int replication) {
        this.controller = controller;
        this.table = table;
        this.cache = cache;
        this.tenant = tenant;
        this.leaseId = leaseId;
        this.replication = replication;
    }

    Dataset open(FarMemory memory, String name, DatasetOptions options) {
        DatasetName.check(name);
        DatasetInfo.Opened opened = controller.openDataset(options.request(name, replication), leaseId);
        SlabRun run = opened.run();
        // Not fresh: what another runtime wrote is on the memory nodes, and must be read from there.
        table.add(run, false);
        open.put(name, run);
        long address = table.farAddress(run.firstSlabId(), 0);
        long bytes = opened.info().bytes();
        FarSegment segment = new FarSegment(cache, new FarSegment.Allocation(memory, address, bytes, true, name),
                address, bytes);
        return new Dataset(opened.info(), segment, () -> {
            cache.flush();
            controller.closeDataset(name, leaseId);
        });
    }

    List<DatasetInfo> list() {
        return controller.datasets();
    }

    /** Deletes a dataset; if this session has it open, its cached lines and slab entries go too. */
    void delete(String name, boolean force) {
        controller.deleteDataset(new DatasetDelete(tenant, name, force), leaseId);
        SlabRun run = open.remove(name);
        if (run != null) {
            cache.discard(table.farAddress(run.firstSlabId(), 0), run.bytes());
            table.remove(run.firstSlabId(), run.slabs().size());
        }
    }

    /** Whether {@code slabId} belongs to a dataset this session has open. */
    boolean holds(long slabId) {
        for (SlabRun run : open.values()) {
            if (slabId >= run.firstSlabId() && slabId < run.firstSlabId() + run.slabs().size()) {
                return true;
            }
        }
        return false;
    }

    /** After the lease was reopened (it had expired): the datasets this session uses count as open by it again. */
    void reopenAll() {
        for (String name : open.keySet()) {
            try {
                controller.openDataset(DatasetOptions.open().request(name, replication), leaseId);
            } catch (RuntimeException e) {
                org.slf4j.LoggerFactory.getLogger(DatasetCatalog.class).warn("reopening dataset {} failed: {}", name,
                        e.toString());
            }
        }
    }
}
