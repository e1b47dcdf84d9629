package io.remem.controller;

import io.netty.buffer.ByteBuf;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.FrameHeader;
import io.remem.protocol.NodeHeartbeat;
import io.remem.protocol.NodeRegister;
import io.remem.protocol.NodeRegistered;
import io.remem.protocol.RememException;
import io.remem.protocol.SlabDamaged;
import io.remem.transport.Peer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.function.Consumer;

/** What a memory node, having proven the cluster secret, tells the controller: who it is, that it lives, what broke. */
final class NodeRequests {
    private static final Logger log = LoggerFactory.getLogger(NodeRequests.class);

    private final Metadata metadata;
    private final Duration heartbeatInterval;
    private final Consumer<NodeRecord> registered;

    /** @param registered told of every registration, so runtimes can use a returning node again */
    NodeRequests(Metadata metadata, Duration heartbeatInterval, Consumer<NodeRecord> registered) {
        this.metadata = metadata;
        this.heartbeatInterval = heartbeatInterval;
        this.registered = registered;
    }

    void serve(Peer peer, FrameHeader h, ByteBuf body, Sessions.Node session) {
        switch (h.opcode()) {
            case NODE_REGISTER -> {
                NodeRegister reg = NodeRegister.decode(body);
                NodeRecord node = metadata.register(reg, peer, session.binding);
                session.node = node;
                NodeRegistered ack = metadata.reconcile(node, reg.held(), heartbeatInterval.toMillis());
                log.info("memory node {} registered from {} as {} with {} bytes; keeps {} of the {} slab(s) it holds{}",
                        node.id, peer.remote(), node.address(), node.capacity, ack.keep().size(), reg.held().size(),
                        ack.restore().isEmpty() ? "" : ", restores " + ack.restore().size() + " damaged one(s)");
                peer.reply(h, 0, 0, 0, 32 + 8 * ack.keep().size() + 64 * ack.restore().size(), ack::encode);
                registered.accept(node);
            }
            case NODE_HEARTBEAT -> {
                NodeHeartbeat hb = NodeHeartbeat.decode(body);
                metadata.heartbeat(registered(session), hb);
                peer.reply(h, 0, 0, 0, 0, out -> {});
            }
            case SLAB_DAMAGED -> {
                SlabDamaged report = SlabDamaged.decode(body);
                NodeRecord node = registered(session);
                if (!report.damaged()) {
                    metadata.restored(h.slabId(), node.id);
                    log.info("memory node {} restored its copy of slab {}: {}", node.id, h.slabId(), report.detail());
                } else if (metadata.damaged(h.slabId(), node.id)) {
                    log.warn("memory node {}'s copy of slab {} is damaged ({}); dropped it, and another copy is made",
                            node.id, h.slabId(), report.detail());
                    Repairer.deleteOn(metadata, node.id, h.slabId());
                } else {
                    log.error("memory node {}'s copy of slab {} is damaged ({}) and it is the only one: it stays"
                            + " quarantined there, served to no one; see docs/operations.md", node.id, h.slabId(),
                            report.detail());
                }
                peer.reply(h, h.slabId(), 0, 0, 0, out -> {});
            }
            default -> throw new RememException(ErrorCode.WRONG_ROLE, h.opcode() + " is not allowed for a memory node session");
        }
    }

    private static NodeRecord registered(Sessions.Node session) {
        NodeRecord node = session.node;
        if (node == null) {
            throw new RememException(ErrorCode.NOT_AUTHENTICATED, "NODE_REGISTER must come first");
        }
        return node;
    }
}
