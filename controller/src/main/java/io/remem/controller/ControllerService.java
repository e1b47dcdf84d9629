package io.remem.controller;

import io.netty.buffer.ByteBuf;
import io.remem.protocol.Bodies;
import io.remem.protocol.ClusterInfo;
import io.remem.protocol.ClusterStatus;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.FrameHeader;
import io.remem.protocol.Hello;
import io.remem.protocol.NodeHeartbeat;
import io.remem.protocol.NodeRegister;
import io.remem.protocol.NodeRegistered;
import io.remem.protocol.Opcode;
import io.remem.protocol.RememException;
import io.remem.protocol.Role;
import io.remem.protocol.SlabAlloc;
import io.remem.protocol.SlabCreate;
import io.remem.protocol.SlabRun;
import io.remem.transport.Peer;
import io.remem.transport.Reply;
import io.remem.transport.RequestHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;

/**
 * The controller's request handler, one per connection. Quick requests are answered on the I/O thread;
 * allocation and free wait for memory nodes, so they run on a virtual thread and answer from there.
 */
final class ControllerService implements RequestHandler {
    private static final Logger log = LoggerFactory.getLogger(ControllerService.class);

    private final Metadata metadata;
    private final ControllerConfig config;
    private final ExecutorService slowPath;

    /** A client session: the tenant it acts for. */
    record ClientSession(String tenant) {}

    /** A memory node session: which node, once it has registered. */
    static final class NodeSession {
        volatile NodeRecord node;
    }

    ControllerService(Metadata metadata, ControllerConfig config, ExecutorService slowPath) {
        this.metadata = metadata;
        this.config = config;
        this.slowPath = slowPath;
    }

    @Override
    public Object onHello(Peer peer, Hello hello) {
        return hello.role() == Role.MEMORY_NODE ? new NodeSession() : new ClientSession(hello.tenant());
    }

    @Override
    public void onRequest(Peer peer, FrameHeader h, ByteBuf body) {
        Object session = peer.attachment();
        if (h.opcode() == Opcode.STATUS) {
            Bodies.expectEnd(body, "status");
            ClusterStatus status = metadata.status(config::quotaOf);
            peer.reply(h, 0, 0, 0, 256, status::encode);
            return;
        }
        switch (session) {
            case NodeSession node -> onNodeRequest(peer, h, body, node);
            case ClientSession client -> onClientRequest(peer, h, body, client.tenant());
            default -> throw new RememException(ErrorCode.INTERNAL, "unknown session type");
        }
    }

    @Override
    public void onClose(Peer peer) {
        if (peer.attachment() instanceof NodeSession s && s.node != null && s.node.link == peer) {
            log.info("memory node {} ({}) disconnected", s.node.id, s.node.address());
            s.node.link = null;
        }
    }

    private void onNodeRequest(Peer peer, FrameHeader h, ByteBuf body, NodeSession session) {
        switch (h.opcode()) {
            case NODE_REGISTER -> {
                NodeRegister reg = NodeRegister.decode(body);
                NodeRecord node = metadata.register(reg, peer);
                session.node = node;
                log.info("memory node {} registered from {} as {} with {} bytes", node.id, peer.remote(),
                        node.address(), node.capacity);
                NodeRegistered ack = new NodeRegistered(node.id, config.heartbeatInterval().toMillis());
                peer.reply(h, 0, 0, 0, 16, ack::encode);
            }
            case NODE_HEARTBEAT -> {
                NodeHeartbeat hb = NodeHeartbeat.decode(body);
                NodeRecord node = session.node;
                if (node == null) {
                    throw new RememException(ErrorCode.NOT_AUTHENTICATED, "heartbeat before NODE_REGISTER");
                }
                metadata.heartbeat(node, hb);
                peer.reply(h, 0, 0, 0, 0, out -> {});
            }
            default -> throw new RememException(ErrorCode.WRONG_ROLE, h.opcode() + " is not allowed for a memory node session");
        }
    }

    private void onClientRequest(Peer peer, FrameHeader h, ByteBuf body, String tenant) {
        switch (h.opcode()) {
            case CLUSTER_INFO -> {
                Bodies.expectEnd(body, "clusterInfo");
                ClusterInfo info = new ClusterInfo(metadata.slabShift(), config.quotaOf(tenant), metadata.usedBy(tenant),
                        1, metadata.liveNodes());
                peer.reply(h, 0, 0, 0, 32, info::encode);
            }
            case SLAB_ALLOC -> {
                SlabAlloc alloc = SlabAlloc.decode(body);
                Reply reply = peer.replyLater(h);
                slowPath.execute(() -> answer(reply, () -> allocate(tenant, alloc)));
            }
            case SLAB_FREE -> {
                Bodies.expectEnd(body, "slabFree");
                long first = h.slabId();
                int count = h.length();
                Reply reply = peer.replyLater(h);
                slowPath.execute(() -> answer(reply, () -> {
                    free(tenant, first, count);
                    return null;
                }));
            }
            case SLAB_LOOKUP -> {
                Bodies.expectEnd(body, "slabLookup");
                SlabRun run = metadata.lookup(tenant, h.slabId(), h.length());
                peer.reply(h, 0, 0, 0, 64 * h.length(), run::encode);
            }
            default -> throw new RememException(ErrorCode.WRONG_ROLE, h.opcode() + " is not served by the controller");
        }
    }

    private static void answer(Reply reply, java.util.function.Supplier<SlabRun> work) {
        try {
            SlabRun run = work.get();
            reply.send(run == null ? 0 : 64 * run.slabs().size(), out -> {
                if (run != null) {
                    run.encode(out);
                }
            });
        } catch (RememException e) {
            reply.fail(e);
        } catch (RuntimeException e) {
            log.warn("controller request failed", e);
            reply.fail(ErrorCode.INTERNAL, e.toString());
        }
    }

    private SlabRun allocate(String tenant, SlabAlloc alloc) {
        int replication = alloc.replication() == 0 ? 1 : alloc.replication();
        if (replication > 1) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT,
                    "replication factor " + replication + " is not supported yet: every slab has one copy");
        }
        List<SlabRecord> run = metadata.reserve(tenant, alloc.bytes(), replication, config.quotaOf(tenant));
        List<CompletableFuture<Void>> creates = new ArrayList<>();
        List<long[]> created = new ArrayList<>(); // {slabId, nodeId} pairs that succeeded
        RememException failure = null;
        for (SlabRecord s : run) {
            for (long nodeId : s.replicas()) {
                creates.add(createOn(nodeId, s).thenRun(() -> {
                    synchronized (created) {
                        created.add(new long[] {s.id(), nodeId});
                    }
                }));
            }
        }
        for (CompletableFuture<Void> f : creates) {
            try {
                Peer.await(f);
            } catch (RememException e) {
                if (failure == null) {
                    failure = e;
                }
            }
        }
        if (failure != null) {
            synchronized (created) {
                for (long[] c : created) {
                    deleteOn(c[1], c[0]);
                }
            }
            metadata.abort(run);
            throw new RememException(failure.code(), "creating slabs failed: " + failure.detail(), failure);
        }
        metadata.commit(run);
        return metadata.describe(run);
    }

    private void free(String tenant, long first, int count) {
        for (SlabRecord s : metadata.free(tenant, first, count)) {
            for (long nodeId : s.replicas()) {
                deleteOn(nodeId, s.id());
            }
        }
    }

    private CompletableFuture<Void> createOn(long nodeId, SlabRecord s) {
        NodeRecord node = metadata.node(nodeId);
        Peer link = node == null ? null : node.link;
        if (link == null) {
            return CompletableFuture.failedFuture(new RememException(ErrorCode.NODE_UNAVAILABLE,
                    "memory node " + nodeId + " is not connected"));
        }
        SlabCreate create = new SlabCreate(s.size(), s.tenant());
        return link.call(Opcode.SLAB_CREATE, s.id(), 0, 0, 32, create::encode, (hdr, b) -> null);
    }

    /** Best effort: a node that is gone has lost the slab anyway. */
    private void deleteOn(long nodeId, long slabId) {
        NodeRecord node = metadata.node(nodeId);
        Peer link = node == null ? null : node.link;
        if (link != null) {
            link.call(Opcode.SLAB_DELETE, slabId, 0, 0, 0, out -> {}, (hdr, b) -> null)
                    .exceptionally(e -> {
                        log.warn("deleting slab {} on memory node {} failed: {}", slabId, nodeId, e.getMessage());
                        return null;
                    });
        }
    }
}
