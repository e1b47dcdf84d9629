package io.remem.controller;

import io.netty.buffer.ByteBuf;
import io.remem.protocol.Bodies;
import io.remem.protocol.DatasetAccess;
import io.remem.protocol.DatasetDelete;
import io.remem.protocol.DatasetGrantChange;
import io.remem.protocol.DatasetGrow;
import io.remem.protocol.DatasetInfo;
import io.remem.protocol.DatasetName;
import io.remem.protocol.DatasetOpen;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.FrameHeader;
import io.remem.protocol.RememException;
import io.remem.protocol.SlabRun;
import io.remem.protocol.TenantName;
import io.remem.transport.Peer;
import io.remem.transport.Reply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * What a tenant's runtime may ask of named datasets: open or create one (its own, or another tenant's it was granted),
 * close, delete and list them, and grant its own to other tenants. Anything journaled runs on the slow path.
 */
final class DatasetRequests {
    private static final Logger log = LoggerFactory.getLogger(DatasetRequests.class);
    /** How long a request waits for another that is creating the same dataset. */
    private static final long CREATION_WAIT_NANOS = TimeUnit.SECONDS.toNanos(60);

    private final DatasetDirectory directory;
    private final Allocations allocations;
    private final TokenIssuer tokens;
    private final ExecutorService slowPath;
    private final int slabShift;

    DatasetRequests(DatasetDirectory directory, Allocations allocations, TokenIssuer tokens, ExecutorService slowPath,
                    int slabShift) {
        this.directory = directory;
        this.allocations = allocations;
        this.tokens = tokens;
        this.slowPath = slowPath;
        this.slabShift = slabShift;
    }

    void serve(Peer peer, FrameHeader h, ByteBuf body, String tenant) {
        long lease = h.slabId();
        switch (h.opcode()) {
            case DATASET_OPEN -> {
                DatasetOpen open = DatasetOpen.decode(body);
                later(peer, h, () -> {
                    DatasetInfo.Opened opened = withGrant(tenant, open(tenant, open, lease));
                    return new SlowReplies.Answer(96 + opened.grant().length + 64 * opened.run().slabs().size(),
                            out -> DatasetInfo.encodeOpened(opened, out));
                });
            }
            case DATASET_CLOSE -> {
                String owner = ownerOrSelf(Bodies.readString(body, "datasetClose.owner"), tenant);
                String name = DatasetName.check(Bodies.readString(body, "datasetClose.name"));
                Bodies.expectEnd(body, "datasetClose");
                later(peer, h, () -> {
                    directory.close(tenant, owner, name, lease);
                    return SlowReplies.Answer.EMPTY;
                });
            }
            case DATASET_DELETE -> {
                DatasetDelete delete = DatasetDelete.decode(body);
                if (!delete.owner().equals(tenant)) {
                    // Only its owner deletes a dataset; to anyone else it is one that does not exist.
                    throw new RememException(ErrorCode.NO_SUCH_DATASET, "tenant " + delete.owner() + " has no dataset "
                            + delete.name());
                }
                later(peer, h, () -> {
                    allocations.deleteDataset(tenant, delete.name(), delete.force(), lease);
                    log.info("tenant {} deleted dataset {}", tenant, delete.name());
                    return SlowReplies.Answer.EMPTY;
                });
            }
            case DATASET_LIST -> {
                Bodies.expectEnd(body, "datasetList");
                List<DatasetInfo> list = directory.list(tenant);
                peer.reply(h, 0, 0, 0, 4 + 96 * list.size(), out -> DatasetInfo.encodeList(list, out));
            }
            case DATASET_GRANT -> {
                DatasetGrantChange g = DatasetGrantChange.decode(body);
                later(peer, h, () -> {
                    directory.grant(tenant, g.name(), g.grantee(), g.access());
                    log.info("tenant {} {} dataset {} {}", tenant, g.access() == DatasetAccess.NONE ? "revoked" : "granted",
                            g.name(), g.access() == DatasetAccess.NONE ? "from " + g.grantee() : g.access() + " to "
                                    + g.grantee());
                    return SlowReplies.Answer.EMPTY;
                });
            }
            case DATASET_GROW -> {
                DatasetGrow grow = DatasetGrow.decode(body);
                String owner = ownerOrSelf(grow.owner(), tenant);
                later(peer, h, () -> {
                    boolean grew = allocations.growDataset(tenant, owner, grow.name(), grow.bytes(), 1L << slabShift);
                    DatasetInfo.Opened opened = withGrant(tenant, directory.open(tenant, owner, grow.name(), 0));
                    if (grew) {
                        log.info("tenant {} grew dataset {} to {} bytes", tenant, grow.name(), opened.info().bytes());
                    }
                    return new SlowReplies.Answer(96 + opened.grant().length + 64 * opened.run().slabs().size(),
                            out -> DatasetInfo.encodeOpened(opened, out));
                });
            }
            default -> throw new RememException(ErrorCode.WRONG_ROLE, h.opcode() + " is not a dataset request");
        }
    }

    private void later(Peer peer, FrameHeader h, Supplier<SlowReplies.Answer> work) {
        Reply reply = peer.replyLater(h);
        slowPath.execute(() -> SlowReplies.respond(reply, work));
    }

    private static String ownerOrSelf(String owner, String tenant) {
        return owner.isEmpty() ? tenant : TenantName.check(owner);
    }

    /** Another tenant's dataset comes with the capability memory nodes need to let this tenant's sessions use it. */
    private DatasetInfo.Opened withGrant(String tenant, DatasetInfo.Opened o) {
        if (o.info().owner().equals(tenant)) {
            return o;
        }
        SlabRun run = o.run();
        byte[] grant = tokens.grant(tenant, o.info().owner(), run.firstSlabId(), run.slabs().size(), o.access());
        return new DatasetInfo.Opened(o.info(), o.access(), grant, run);
    }

    /**
     * Opens a dataset as {@code open} says, creating it first where it says so. Of several requests creating one name
     * at once, one creates it and the others wait for it, then open it (or, for an exclusive create, fail with
     * DATASET_EXISTS), so its memory is reserved once.
     */
    private DatasetInfo.Opened open(String tenant, DatasetOpen open, long lease) {
        String owner = ownerOrSelf(open.owner(), tenant);
        if (open.disposition() == DatasetOpen.Disposition.OPEN) {
            return directory.open(tenant, owner, open.name(), lease);
        }
        long deadline = System.nanoTime() + CREATION_WAIT_NANOS;
        while (true) {
            if (directory.claimCreation(tenant, open.name())) {
                try {
                    allocations.createDataset(tenant, open, 1L << slabShift);
                    log.info("tenant {} created dataset {} of {} bytes", tenant, open.name(), open.bytes());
                } finally {
                    directory.endCreation(tenant, open.name());
                }
                return directory.open(tenant, tenant, open.name(), lease);
            }
            if (open.disposition() == DatasetOpen.Disposition.CREATE) {
                throw new RememException(ErrorCode.DATASET_EXISTS, "tenant " + tenant + " has a dataset " + open.name()
                        + (directory.exists(tenant, open.name()) ? "" : ", being created by another request"));
            }
            if (!directory.beingCreated(tenant, open.name())) {
                try {
                    return directory.open(tenant, tenant, open.name(), lease);
                } catch (RememException e) {
                    if (e.code() != ErrorCode.NO_SUCH_DATASET) {
                        throw e;
                    }
                    // the other creator failed, or it was deleted: try to create it ourselves
                }
            }
            if (System.nanoTime() - deadline > 0) {
                throw new RememException(ErrorCode.OVERLOADED, "dataset " + open.name() + " is still being created by"
                        + " another request; try again");
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RememException(ErrorCode.INTERNAL, "interrupted while waiting for dataset " + open.name(), e);
            }
        }
    }
}
