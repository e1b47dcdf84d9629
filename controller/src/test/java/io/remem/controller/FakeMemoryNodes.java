package io.remem.controller;

import io.netty.buffer.ByteBuf;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.FrameHeader;
import io.remem.protocol.Hello;
import io.remem.protocol.Opcode;
import io.remem.protocol.RememException;
import io.remem.protocol.Role;
import io.remem.protocol.SlabSync;
import io.remem.protocol.auth.AuthenticationFailure;
import io.remem.protocol.auth.Credentials;
import io.remem.protocol.auth.Token;
import io.remem.protocol.auth.TokenKeys;
import io.remem.transport.Connections;
import io.remem.transport.EventLoops;
import io.remem.transport.HelloDecision;
import io.remem.transport.Peer;
import io.remem.transport.Reply;
import io.remem.transport.RequestHandler;
import io.remem.transport.ServerLimits;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.BooleanSupplier;
import java.util.function.Function;

/**
 * Stand-ins for memory nodes, as far as the controller's repairer talks to them: each is a loopback listener whose
 * handler records every request (in one log shared by all of them, in arrival order) and answers SLAB_CREATE,
 * SLAB_FENCE, SLAB_DELETE and SLAB_SYNC as the test says. {@link Node#link} is the controller's open connection to it,
 * with a session, ready to go into a {@link NodeRecord}.
 *
 * <p>A real memory node copies a slab only with the capability the controller put in SLAB_SYNC: its source serves
 * REPLICA_READ to nothing else. So a fake answers AUTHENTICATION_FAILED to a SLAB_SYNC whose capability is not a
 * valid REPLICA token, under the cluster's keys, for the slab named in the header; every copy a test sees succeed
 * carried a good one.
 */
final class FakeMemoryNodes implements AutoCloseable {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    /** One request a fake node received; {@code sync} is the decoded body of a SLAB_SYNC, else null. */
    record Event(String node, Opcode op, long slabId, long offset, SlabSync sync) {}

    private final EventLoops loops = EventLoops.create("controller-test-memnodes", 2);
    private final List<Node> nodes = new ArrayList<>();
    private final List<Event> log = new ArrayList<>();
    /** The keys capabilities are checked with: those derived from the cluster secret the controller signs with. */
    private final TokenKeys keys;

    FakeMemoryNodes(TokenKeys keys) {
        this.keys = keys;
    }

    /** One fake memory node. */
    final class Node {
        final String name;
        final Connections.Listener listener;
        final Peer link;
        /** How SLAB_SYNC is answered: the future's outcome is the answer. Succeeds at once by default. */
        volatile Function<SlabSync, CompletableFuture<Void>> onSync = s -> CompletableFuture.completedFuture(null);
        /** Whether SLAB_FENCE is refused. */
        volatile boolean failFence;
        /** SLAB_FENCE is answered when this completes; at once by default. */
        volatile CompletableFuture<Void> fenceGate = CompletableFuture.completedFuture(null);

        private Node(String name) {
            this.name = name;
            this.listener = Connections.listen(loops, "127.0.0.1", 0, () -> new Handler(this), "fake-" + name, TIMEOUT,
                    ServerLimits.DEFAULTS, null);
            this.link = Connections.connect(loops, "127.0.0.1", listener.port(), null, "controller-test", TIMEOUT, TIMEOUT);
            // A fake lets anyone open a session (see Handler#onHello), so the token is a placeholder that is never read.
            link.hello(Role.MEMORY_NODE, Credentials.ofToken("controller", () -> new byte[] {1}));
        }

        List<Event> events() {
            return FakeMemoryNodes.this.events().stream().filter(e -> e.node.equals(name)).toList();
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private final class Handler implements RequestHandler {
        private final Node node;

        Handler(Node node) {
            this.node = node;
        }

        /** Authentication is not what these fakes test: every HELLO opens a session. */
        @Override
        public HelloDecision onHello(Peer peer, Hello hello) {
            return new HelloDecision.Accept(node.name);
        }

        @Override
        public void onRequest(Peer peer, FrameHeader h, ByteBuf body) {
            SlabSync sync = h.opcode() == Opcode.SLAB_SYNC ? SlabSync.decode(body) : null;
            synchronized (log) {
                log.add(new Event(node.name, h.opcode(), h.slabId(), h.offset(), sync));
            }
            switch (h.opcode()) {
                case SLAB_CREATE, SLAB_DELETE -> peer.reply(h, h.slabId(), 0, 0, 0, out -> {});
                case SLAB_FENCE -> {
                    if (node.failFence) {
                        throw new RememException(ErrorCode.INTERNAL, "fake fence failure on " + node.name);
                    }
                    Reply reply = peer.replyLater(h);
                    node.fenceGate.whenComplete((v, e) -> reply.send(0, out -> {}));
                }
                case SLAB_SYNC -> {
                    checkCapability(sync.capability(), h.slabId());
                    Reply reply = peer.replyLater(h);
                    node.onSync.apply(sync).whenComplete((v, e) -> {
                        if (e == null) {
                            reply.send(0, out -> {});
                        } else {
                            Throwable cause = e instanceof CompletionException && e.getCause() != null
                                    ? e.getCause() : e;
                            reply.fail(cause instanceof RememException re ? re
                                    : new RememException(ErrorCode.INTERNAL, String.valueOf(cause)));
                        }
                    });
                }
                default -> throw new RememException(ErrorCode.WRONG_ROLE, h.opcode() + " is not served by a fake node");
            }
        }
    }

    /**
     * What a copy's capability must be: a REPLICA token, signed with the cluster's keys, for this slab. A real target
     * learns it is bad when the source refuses the REPLICA session, and answers SLAB_SYNC with the error; its own
     * connection to the controller stays open. So this answers the same way, not with an {@link AuthenticationFailure},
     * which would close the connection.
     */
    private void checkCapability(byte[] capability, long slabId) {
        Token t;
        try {
            t = keys.verify(capability, Token.Kind.REPLICA, System.currentTimeMillis());
        } catch (AuthenticationFailure e) {
            throw new RememException(ErrorCode.AUTHENTICATION_FAILED, "fake: bad capability: " + e.reason());
        }
        if (t.slabId() != slabId) {
            throw new RememException(ErrorCode.AUTHENTICATION_FAILED, "fake: capability for slab " + t.slabId()
                    + " presented to copy slab " + slabId);
        }
    }

    synchronized Node start(String name) {
        Node n = new Node(name);
        nodes.add(n);
        return n;
    }

    /** Every request received so far, in arrival order. */
    List<Event> events() {
        synchronized (log) {
            return List.copyOf(log);
        }
    }

    /** Waits up to a few seconds for {@code condition}. */
    static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting for " + what);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what, e);
            }
        }
    }

    @Override
    public synchronized void close() {
        for (Node n : nodes) {
            n.link.close();
            n.listener.close();
        }
        loops.close();
    }
}
