package io.remem.controller;

import io.netty.buffer.ByteBuf;
import io.remem.protocol.Bodies;
import io.remem.protocol.ClusterStatus;
import io.remem.protocol.DatasetDelete;
import io.remem.protocol.DatasetInfo;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.FrameHeader;
import io.remem.protocol.Opcode;
import io.remem.protocol.RememException;
import io.remem.protocol.TenantAdd;
import io.remem.protocol.TenantKey;
import io.remem.protocol.TenantKeyRevoke;
import io.remem.protocol.TenantQuota;
import io.remem.protocol.TenantRemove;
import io.remem.protocol.auth.Scram;
import io.remem.transport.Peer;
import io.remem.transport.Reply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.ExecutorService;

/**
 * What only an operator may do: manage tenants and their secrets, drain and undrain nodes, and see the whole cluster.
 * Every change is journaled before it is acknowledged. Changes run on the slow path, since journaling forces the disk.
 */
final class AdminRequests {
    private static final Logger log = LoggerFactory.getLogger(AdminRequests.class);

    private final Metadata metadata;
    private final Repairer repairer;
    private final Allocations allocations;
    private final ExecutorService slowPath;
    private final ClientConnections connections;

    AdminRequests(Metadata metadata, Repairer repairer, Allocations allocations, ExecutorService slowPath,
                  ClientConnections connections) {
        this.metadata = metadata;
        this.connections = connections;
        this.repairer = repairer;
        this.allocations = allocations;
        this.slowPath = slowPath;
    }

    void serve(Peer peer, FrameHeader h, ByteBuf body) {
        switch (h.opcode()) {
            case STATUS -> {
                Bodies.expectEnd(body, "status");
                ClusterStatus status = metadata.status(repairer.progress());
                peer.reply(h, 0, 0, 0, 256, status::encode);
            }
            case NODE_DRAIN, NODE_UNDRAIN -> {
                Bodies.expectEnd(body, "nodeDrain");
                boolean drain = h.opcode() == Opcode.NODE_DRAIN;
                long nodeId = h.slabId();
                later(peer, h, () -> {
                    NodeRecord n = metadata.drain(nodeId, drain);
                    log.info("{} memory node {} ({}): {}", drain ? "draining" : "undraining", n.id, n.address(),
                            drain ? "moving its " + n.slabs + " slab(s) away" : "it takes new slabs again");
                });
            }
            case TENANT_ADD -> {
                TenantAdd add = TenantAdd.decode(body);
                Scram.Verifier v = verifier(add.key());
                later(peer, h, () -> {
                    metadata.addTenant(add.tenant(), add.quota(), v);
                    log.info("added tenant {} with secret {}", add.tenant(), v.keyId());
                });
            }
            case TENANT_REMOVE -> {
                TenantRemove remove = TenantRemove.decode(body);
                later(peer, h, () -> {
                    List<SlabRecord> freed = metadata.removeTenant(remove.tenant(), remove.force());
                    allocations.deleteAll(freed);
                    int cut = connections.closeAll(remove.tenant(), null);
                    log.info("removed tenant {}{}; closed {} of its connection(s)", remove.tenant(),
                            freed.isEmpty() ? "" : ", freeing " + freed.size() + " slab(s)", cut);
                });
            }
            case TENANT_QUOTA -> {
                TenantQuota q = TenantQuota.decode(body);
                later(peer, h, () -> metadata.setQuota(q.tenant(), q.quota()));
            }
            case TENANT_KEY_ADD -> {
                TenantKey key = TenantKey.decode(body);
                Scram.Verifier v = verifier(key);
                later(peer, h, () -> {
                    metadata.addTenantKey(key.tenant(), v);
                    log.info("tenant {} has a new secret {}", key.tenant(), v.keyId());
                });
            }
            case TENANT_KEY_REVOKE -> {
                TenantKeyRevoke revoke = TenantKeyRevoke.decode(body);
                later(peer, h, () -> {
                    metadata.revokeTenantKey(revoke.tenant(), revoke.keyId());
                    int cut = connections.closeAll(revoke.tenant(), revoke.keyId());
                    log.info("tenant {}'s secret {} is revoked; closed {} connection(s) that proved it", revoke.tenant(),
                            revoke.keyId(), cut);
                });
            }
            case DATASET_LIST -> {
                Bodies.expectEnd(body, "datasetList");
                List<DatasetInfo> list = metadata.datasetDirectory().list(null);
                peer.reply(h, 0, 0, 0, 4 + 96 * list.size(), out -> DatasetInfo.encodeList(list, out));
            }
            case DATASET_DELETE -> {
                DatasetDelete delete = DatasetDelete.decode(body);
                later(peer, h, () -> {
                    allocations.deleteDataset(delete.owner(), delete.name(), delete.force(), 0);
                    log.info("an admin deleted dataset {} of tenant {}", delete.name(), delete.owner());
                });
            }
            default -> throw new RememException(ErrorCode.WRONG_ROLE, h.opcode() + " is not an admin operation");
        }
    }

    private static Scram.Verifier verifier(TenantKey k) {
        return new Scram.Verifier(k.keyId(), k.salt(), k.iterations(), k.storedKey(), k.serverKey());
    }

    private void later(Peer peer, FrameHeader h, Runnable change) {
        Reply reply = peer.replyLater(h);
        slowPath.execute(() -> {
            try {
                change.run();
                reply.send(0, out -> {});
            } catch (RememException e) {
                reply.fail(e);
            } catch (RuntimeException e) {
                log.warn("admin request {} failed", h.opcode(), e);
                reply.fail(ErrorCode.INTERNAL, e.toString());
            }
        });
    }
}
