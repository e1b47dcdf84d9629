package io.remem.controller;

import io.netty.buffer.ByteBuf;
import io.remem.protocol.Bodies;
import io.remem.protocol.ClusterInfo;
import io.remem.protocol.ClusterStatus;
import io.remem.protocol.DatasetDelete;
import io.remem.protocol.DatasetInfo;
import io.remem.protocol.DatasetName;
import io.remem.protocol.DatasetOpen;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.FrameHeader;
import io.remem.protocol.RememException;
import io.remem.protocol.SlabAlloc;
import io.remem.protocol.SlabRun;
import io.remem.transport.BodyWriter;
import io.remem.transport.Peer;
import io.remem.transport.Reply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * What a tenant's runtime may ask the controller: slabs, where they are, its own status, fresh tokens, its lease, and
 * (through {@link DatasetRequests}) named datasets.
 */
final class ClientRequests {
    private static final Logger log = LoggerFactory.getLogger(ClientRequests.class);

    private final Metadata metadata;
    private final Allocations allocations;
    private final TokenIssuer tokens;
    private final ExecutorService slowPath;
    private final Consumer<NodeRecord> declareDead;
    private final int maxLeasesPerTenant;
    private final DatasetRequests datasets;

    ClientRequests(Metadata metadata, Allocations allocations, TokenIssuer tokens, ExecutorService slowPath,
                   Consumer<NodeRecord> declareDead, int maxLeasesPerTenant) {
        this.maxLeasesPerTenant = maxLeasesPerTenant;
        this.datasets = new DatasetRequests(metadata.datasetDirectory(), allocations, tokens, slowPath,
                metadata.slabShift());
        this.metadata = metadata;
        this.allocations = allocations;
        this.tokens = tokens;
        this.slowPath = slowPath;
        this.declareDead = declareDead;
    }

    void serve(Peer peer, FrameHeader h, ByteBuf body, Sessions.Client session) {
        String tenant = session.tenant();
        switch (h.opcode()) {
            case CLUSTER_INFO -> {
                Bodies.expectEnd(body, "clusterInfo");
                ClusterInfo info = new ClusterInfo(metadata.slabShift(), metadata.quotaOf(tenant), metadata.usedBy(tenant),
                        allocations.defaultReplication(), metadata.liveNodes());
                peer.reply(h, 0, 0, 0, 32, info::encode);
            }
            case SLAB_ALLOC -> {
                SlabAlloc alloc = SlabAlloc.decode(body);
                long lease = h.slabId(); // the runtime's lease, which the run joins; 0 for none
                Reply reply = peer.replyLater(h);
                slowPath.execute(() -> answer(reply, () -> allocations.allocate(tenant, alloc, lease)));
            }
            case SLAB_FREE -> {
                Bodies.expectEnd(body, "slabFree");
                long first = h.slabId();
                int count = h.length();
                Reply reply = peer.replyLater(h);
                slowPath.execute(() -> answer(reply, () -> {
                    allocations.free(tenant, first, count);
                    return null;
                }));
            }
            case SLAB_LOOKUP -> {
                Bodies.expectEnd(body, "slabLookup");
                SlabRun run = metadata.lookup(tenant, h.slabId(), h.length()); // validates the count first
                peer.reply(h, 0, 0, 0, 64 * run.slabs().size(), run::encode);
            }
            case NODE_SUSPECT -> {
                Bodies.expectEnd(body, "nodeSuspect");
                NodeRecord node = metadata.node(h.slabId());
                // A crashed process has closed its connection to us: then the client's word is enough. A node still
                // connected may only be slow for that client, and the heartbeats decide.
                if (node != null && node.alive && (node.link == null || !node.link.isOpen())) {
                    log.warn("a client of tenant {} reports memory node {} unreachable, and its connection is closed",
                            tenant, node.id);
                    declareDead.accept(node);
                }
                peer.reply(h, h.slabId(), 0, 0, 0, out -> {});
            }
            case STATUS -> {
                Bodies.expectEnd(body, "status");
                ClusterStatus status = metadata.status(tenant);
                peer.reply(h, 0, 0, 0, 128, status::encode);
            }
            case TOKEN_RENEW -> {
                Bodies.expectEnd(body, "tokenRenew");
                if (metadata.tenantVerifier(tenant, session.keyId()) == null) {
                    throw new RememException(ErrorCode.AUTHENTICATION_FAILED, "the secret this session proved was"
                            + " revoked, or tenant " + tenant + " was removed");
                }
                byte[] token = tokens.session(tenant);
                peer.reply(h, 0, 0, 0, token.length + 2, out -> Bodies.writeBytes(out, token));
            }
            case LEASE_RENEW -> {
                Bodies.expectEnd(body, "leaseRenew");
                long lease = h.slabId();
                if (lease == 0) {
                    throw new RememException(ErrorCode.INVALID_ARGUMENT, "lease id 0 is reserved for no lease");
                }
                if (h.offset() != 0 && h.offset() != 1) {
                    throw new RememException(ErrorCode.INVALID_ARGUMENT, "LEASE_RENEW offset " + h.offset()
                            + " is neither 0 (renew) nor 1 (open)");
                }
                long millis = metadata.leaseKeeper().timeoutNanos() / 1_000_000;
                if (h.offset() == 1) {
                    // Opening journals the lease: off the event loop.
                    Reply reply = peer.replyLater(h);
                    slowPath.execute(() -> {
                        try {
                            metadata.leaseKeeper().open(tenant, lease, maxLeasesPerTenant);
                            reply.send(8, out -> out.writeLong(millis));
                        } catch (RememException e) {
                            reply.fail(e);
                        }
                    });
                } else if (metadata.leaseKeeper().renew(tenant, lease)) {
                    peer.reply(h, lease, 0, 0, 8, out -> out.writeLong(millis));
                } else {
                    throw new RememException(ErrorCode.LEASE_EXPIRED, "lease " + Long.toHexString(lease) + " of tenant "
                            + tenant + " is not known here: it expired, and the memory it held was freed");
                }
            }
            case LEASE_ALIVE -> {
                Bodies.expectEnd(body, "leaseAlive");
                boolean alive = h.slabId() != 0 && metadata.leaseKeeper().alive(h.slabId());
                peer.reply(h, h.slabId(), 0, 0, 1, out -> out.writeByte(alive ? 1 : 0));
            }
            case LEASE_CLOSE -> {
                Bodies.expectEnd(body, "leaseClose");
                long lease = h.slabId();
                if (lease == 0) {
                    throw new RememException(ErrorCode.INVALID_ARGUMENT, "lease id 0 is reserved for no lease");
                }
                Reply reply = peer.replyLater(h);
                slowPath.execute(() -> answer(reply, () -> {
                    int n = allocations.endLease(tenant, lease, false);
                    if (n >= 0) { // closing a lease that is gone already is no error: it is closed
                        log.info("tenant {} closed lease {}: freed {} slab(s)", tenant, Long.toHexString(lease), n);
                    }
                    return null;
                }));
            }
            case DATASET_OPEN, DATASET_CLOSE, DATASET_DELETE, DATASET_LIST, DATASET_GRANT, DATASET_GROW ->
                    datasets.serve(peer, h, body, tenant);
            default -> throw new RememException(ErrorCode.WRONG_ROLE, h.opcode() + " is not served to tenants by the controller");
        }
    }

    private static void answer(Reply reply, Supplier<SlabRun> work) {
        SlowReplies.respond(reply, () -> {
            SlabRun run = work.get();
            return run == null ? SlowReplies.Answer.EMPTY : new SlowReplies.Answer(64 * run.slabs().size(), run::encode);
        });
    }
}
