package io.remem.memnode;

import io.netty.buffer.ByteBuf;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.FrameHeader;
import io.remem.protocol.Hello;
import io.remem.protocol.auth.AuthenticationFailure;
import io.remem.protocol.auth.Credentials;
import io.remem.protocol.auth.NodeKey;
import io.remem.protocol.NodeHeartbeat;
import io.remem.protocol.NodeRegister;
import io.remem.protocol.NodeRegistered;
import io.remem.protocol.Opcode;
import io.remem.protocol.RememException;
import io.remem.protocol.Role;
import io.remem.protocol.SlabCreate;
import io.remem.protocol.SlabSync;
import io.remem.transport.Reply;
import io.remem.protocol.Bodies;
import io.remem.transport.ClientHandshake;
import io.remem.transport.ClientTls;
import io.remem.transport.Connections;
import io.remem.transport.EventLoops;
import io.remem.transport.HelloDecision;
import io.remem.transport.Peer;
import io.remem.transport.RequestHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.KeyPair;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The memory node's connection to the controller. The node dials out, registers and sends heartbeats; the
 * controller uses the same connection to tell the node to create and delete slabs. If the connection drops,
 * the node dials again and re-registers under the id it was given, keeping its slabs.
 */
final class ControllerLink implements RequestHandler, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ControllerLink.class);
    private static final Duration RETRY = Duration.ofMillis(500);

    private final MemNodeConfig config;
    private final EventLoops loops;
    private final SlabStore store;
    private final int port;
    private final CountDownLatch firstRegistration = new CountDownLatch(1);
    private final Thread worker;
    private final SlabCopier copier;
    private final SlabFiles files;
    private final KeyPair identity;
    private final ClientTls tls;
    private final Credentials credentials;
    private final DamageReports reports;
    private volatile long nodeId;
    private volatile Peer peer;
    private volatile boolean closed;

    /**
     * @param files    the node's data directory, where its id is kept across restarts; null for none
     * @param identity the node's key pair, to which the controller binds its id
     * @param tls      TLS for the connections this node makes, or null for plain TCP
     * @param reports  damaged and restored slabs to tell the controller about once registered
     */
    ControllerLink(MemNodeConfig config, EventLoops loops, SlabStore store, int port, SlabFiles files, KeyPair identity,
                   ClientTls tls, DamageReports reports) {
        this.config = config;
        this.loops = loops;
        this.store = store;
        this.port = port;
        this.files = files;
        this.identity = identity;
        this.tls = tls;
        this.reports = reports;
        this.credentials = Credentials.ofSecret("node", config.clusterSecrets().getFirst());
        this.nodeId = files == null ? 0 : files.nodeId();
        this.copier = new SlabCopier(config.callTimeout(), tls);
        this.worker = Thread.ofVirtual().name("remem-controller-link").unstarted(this::run);
    }

    void start() {
        worker.start();
    }

    long nodeId() {
        return nodeId;
    }

    boolean awaitRegistered(Duration timeout) throws InterruptedException {
        return firstRegistration.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void run() {
        boolean warned = false;
        while (!closed) {
            try {
                Peer p = Connections.connect(loops, config.controller().host(), config.controller().port(), this,
                        "memnode", Duration.ofSeconds(3), config.callTimeout(), tls);
                peer = p;
                ClientHandshake.Session session = p.hello(Role.MEMORY_NODE, credentials);
                byte[] publicKey = NodeKey.encodePublic(identity);
                NodeRegister reg = new NodeRegister(nodeId, config.advertisedHost(), port, store.capacity().limit(),
                        publicKey, NodeKey.sign(identity, session.binding(), nodeId), store.held());
                List<Long> listed = reg.held().stream().map(NodeRegister.HeldSlab::slabId).toList();
                NodeRegistered ack = Peer.await(p.call(Opcode.NODE_REGISTER, 0, 0, 0, 64 + 16 * reg.held().size(),
                        reg::encode, (h, body) -> NodeRegistered.decode(body)));
                if (nodeId != 0 && ack.nodeId() != nodeId) {
                    log.warn("controller gave this node a new id {} (it was {})", ack.nodeId(), nodeId);
                }
                nodeId = ack.nodeId();
                if (files != null) {
                    files.saveNodeId(nodeId);
                }
                reports.registered(reg.held(), p); // first: what reconcile reports must not be taken as covered
                store.reconcile(listed, ack.keep(), ack.restore());
                log.info("registered with controller {} as memory node {}", config.controller(), nodeId);
                warned = false;
                firstRegistration.countDown();
                try {
                    heartbeatUntilClosed(p, Math.max(10, ack.heartbeatIntervalMillis()));
                } finally {
                    reports.disconnected();
                }
            } catch (RememException e) {
                if (e.code() == ErrorCode.AUTHENTICATION_FAILED && !closed) {
                    log.error("the controller at {} refused this node's credentials ({}): check --cluster-secret-file;"
                            + " retrying every {} ms", config.controller(), e.detail(), RETRY.toMillis());
                } else if (!warned && !closed) {
                    log.warn("controller {} unreachable ({}); retrying every {} ms", config.controller(), e.detail(),
                            RETRY.toMillis());
                    warned = true;
                }
            } catch (InterruptedException e) {
                return;
            }
            if (!closed) {
                try {
                    Thread.sleep(RETRY);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    private void heartbeatUntilClosed(Peer p, long intervalMillis) throws InterruptedException {
        while (!closed && p.isOpen()) {
            Thread.sleep(intervalMillis);
            reports.flush(); // sends again what a failure kept back
            Capacity c = store.capacity();
            NodeHeartbeat hb = new NodeHeartbeat(c.limit(), c.backed(), c.reserved(), store.slabCount());
            try {
                Peer.await(p.call(Opcode.NODE_HEARTBEAT, 0, 0, 0, 32, hb::encode, (h, body) -> null));
            } catch (RememException e) {
                // Whatever went wrong, registering again on a fresh connection puts it right.
                log.warn("heartbeat to controller failed ({}); registering again", e.getMessage());
                break;
            }
        }
        p.close();
    }

    @Override
    public HelloDecision onHello(Peer p, Hello hello) {
        throw new AuthenticationFailure("a HELLO on this node's own connection to the controller");
    }

    @Override
    public void onRequest(Peer p, FrameHeader h, ByteBuf body) {
        switch (h.opcode()) {
            case SLAB_CREATE -> {
                SlabCreate create = SlabCreate.decode(body);
                store.create(h.slabId(), create.size(), create.tenant());
                p.reply(h, h.slabId(), 0, 0, 0, out -> {});
            }
            case SLAB_DELETE -> {
                Bodies.expectEnd(body, "slabDelete");
                store.delete(h.slabId());
                p.reply(h, h.slabId(), 0, 0, 0, out -> {});
            }
            case SLAB_FENCE -> {
                Bodies.expectEnd(body, "slabFence");
                store.fence(h.slabId(), h.offset());
                p.reply(h, h.slabId(), h.offset(), 0, 0, out -> {});
            }
            case SLAB_SYNC -> {
                SlabSync sync = SlabSync.decode(body);
                Slab slab = store.createSyncing(h.slabId(), sync.size(), sync.tenant(), sync.epoch());
                Reply reply = p.replyLater(h);
                Thread.ofVirtual().name("remem-slab-copy-" + h.slabId()).start(() -> {
                    try {
                        long started = System.nanoTime();
                        copier.copy(slab, sync);
                        if (!store.finishSync(slab)) {
                            throw new RememException(ErrorCode.SLAB_EXISTS, "slab " + slab.id()
                                    + " was replaced by a newer copy while this one ran");
                        }
                        log.info("slab {} copied from {} in {} ms", slab.id(), sync.source().address(),
                                (System.nanoTime() - started) / 1_000_000);
                        reply.send(0, out -> {});
                    } catch (RememException e) {
                        log.warn("copying slab {} from {} failed: {}", slab.id(), sync.source().address(), e.getMessage());
                        store.deleteIfCurrent(slab);
                        reply.fail(e);
                    } catch (RuntimeException e) {
                        log.warn("copying slab {} from {} failed", slab.id(), sync.source().address(), e);
                        store.deleteIfCurrent(slab);
                        reply.fail(ErrorCode.INTERNAL, e.toString());
                    }
                });
            }
            default -> throw new RememException(ErrorCode.WRONG_ROLE,
                    h.opcode() + " is not served on the controller link");
        }
    }

    @Override
    public void close() {
        closed = true;
        worker.interrupt();
        Peer p = peer;
        if (p != null) {
            p.close();
        }
    }
}
