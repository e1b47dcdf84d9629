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
    private final Repairer repairer;
    private final java.util.function.Consumer<NodeRecord> declareDead;

    /** A client session: the tenant it acts for. */
    record ClientSession(String tenant) {}

    /** A memory node session: which node, once it has registered. */
    static final class NodeSession {
        volatile NodeRecord node;
    }

    /** @param declareDead marks a node dead and fails its slabs over, for a client's report of a crashed node */
    ControllerService(Metadata metadata, ControllerConfig config, ExecutorService slowPath, Repairer repairer,
                      java.util.function.Consumer<NodeRecord> declareDead) {
        this.metadata = metadata;
        this.config = config;
        this.slowPath = slowPath;
        this.repairer = repairer;
        this.declareDead = declareDead;
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
            ClusterStatus status = metadata.status(config::quotaOf, repairer.progress());
            peer.reply(h, 0, 0, 0, 256, status::encode);
            return;
        }
        switch (session) {
            case NodeSession node -> onNodeRequest(peer, h, body, node);
            case ClientSession client when h.opcode() == Opcode.NODE_DRAIN -> drain(peer, h, body);
            case ClientSession client -> onClientRequest(peer, h, body, client.tenant());
            default -> throw new RememException(ErrorCode.INTERNAL, "unknown session type");
        }
    }

    @Override
    public void onClose(Peer peer) {
        if (peer.attachment() instanceof NodeSession s && s.node != null && s.node.link == peer) {
            log.info("memory node {} ({}) disconnected", s.node.id, s.node.address());
            metadata.linkClosed(s.node, peer); // under the lock: a registration on a new link may be racing this
        }
    }

    private void onNodeRequest(Peer peer, FrameHeader h, ByteBuf body, NodeSession session) {
        switch (h.opcode()) {
            case NODE_REGISTER -> {
                NodeRegister reg = NodeRegister.decode(body);
                NodeRecord node = metadata.register(reg, peer);
                session.node = node;
                List<Long> keep = metadata.keep(node, reg.held());
                log.info("memory node {} registered from {} as {} with {} bytes; keeps {} of the {} slab(s) it holds",
                        node.id, peer.remote(), node.address(), node.capacity, keep.size(), reg.held().size());
                NodeRegistered ack = new NodeRegistered(node.id, config.heartbeatInterval().toMillis(), keep);
                peer.reply(h, 0, 0, 0, 24 + 8 * keep.size(), ack::encode);
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
                        defaultReplication(), metadata.liveNodes());
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

    /** Two copies where there are two memory nodes to hold them, else one. */
    private int defaultReplication() {
        return metadata.liveNodes() >= 2 ? 2 : 1;
    }

    /** Marks a node as draining; the repairer moves its slabs away while clients keep working. */
    private void drain(Peer peer, FrameHeader h, ByteBuf body) {
        Bodies.expectEnd(body, "nodeDrain");
        NodeRecord node = metadata.node(h.slabId());
        if (node == null) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "there is no memory node " + h.slabId());
        }
        if (!node.draining) {
            node.draining = true;
            log.info("draining memory node {} ({}): moving its {} slab(s) away", node.id, node.address(), node.slabs);
        }
        peer.reply(h, h.slabId(), 0, 0, 0, out -> {});
    }

    private SlabRun allocate(String tenant, SlabAlloc alloc) {
        int replication = alloc.replication() == 0 ? defaultReplication() : alloc.replication();
        List<SlabRecord> run = reserveWaitingForReturningNodes(tenant, alloc.bytes(), replication);
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

    /**
     * Places a run; if that fails for lack of nodes while some live node is between connections (just after a
     * controller restart, or a node reconnecting), waits for it up to the node timeout rather than fail at once.
     */
    private List<SlabRecord> reserveWaitingForReturningNodes(String tenant, long bytes, int replication) {
        long deadline = System.nanoTime() + config.nodeTimeout().toNanos();
        while (true) {
            try {
                return metadata.reserve(tenant, bytes, replication, config.quotaOf(tenant));
            } catch (RememException e) {
                boolean someoneReturning = metadata.allNodes().stream().anyMatch(n -> n.alive && !n.placeable() && !n.draining);
                if (e.code() != ErrorCode.CLUSTER_OUT_OF_CAPACITY || !someoneReturning || System.nanoTime() - deadline > 0) {
                    throw e;
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
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

    private void deleteOn(long nodeId, long slabId) {
        Repairer.deleteOn(metadata, nodeId, slabId);
    }
}
