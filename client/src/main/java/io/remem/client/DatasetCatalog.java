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

    void delete(String name, boolean force) {
        controller.deleteDataset(new DatasetDelete(tenant, name, force), leaseId);
    }
}
