package io.remem.memnode;

import io.netty.buffer.ByteBuf;
import io.remem.protocol.Bodies;
import io.remem.protocol.Checksums;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.Features;
import io.remem.protocol.FrameHeader;
import io.remem.protocol.Frames;
import io.remem.protocol.Hello;
import io.remem.protocol.Opcode;
import io.remem.protocol.RememException;
import io.remem.protocol.Wire;
import io.remem.protocol.WriteRunReader;
import io.remem.protocol.auth.AuthenticationFailure;
import io.remem.protocol.auth.Token;
import io.remem.protocol.auth.Grant;
import io.remem.protocol.auth.TokenKeys;
import io.remem.transport.HelloDecision;
import io.remem.transport.Peer;
import io.remem.transport.RequestHandler;

import java.time.Clock;
import java.util.zip.CRC32C;

/**
 * The data path of a memory node: reads, scatter writes, 8-byte atomics and offloads, for tenant sessions. Runs on the
 * connection's I/O thread; every operation is a bounded memory copy, so nothing here blocks.
 *
 * <p>No session is opened on a name's say-so: a runtime presents a session token the controller signed for its tenant,
 * and a copying node a capability for the one slab it copies; both are checked here, without asking the controller.
 */
final class DataService implements RequestHandler {
    private final SlabStore store;
    private final TenantSessions sessions;
    private final WriteRunReader runs = new WriteRunReader();
    private final CRC32C crc = new CRC32C(); // this connection's I/O thread only
    private final Offloads offloads;
    private final RecentOps recent;
    private final TokenKeys tokens;
    private final Clock clock;

    /** Another memory node copying one slab from this one (SLAB_SYNC), as its capability allows. */
    private record ReplicaSession(long slabId, boolean checksums) {}

    /**
     * @param sessions every open client session of this node, shared by all its connections
     * @param recent   the node's window of recent operations, shared by all its connections
     * @param tokens   checks the tokens and capabilities the controller issued
     * @param clock    wall-clock time, to check token expiry
     */
    DataService(SlabStore store, TenantSessions sessions, RecentOps recent, TokenKeys tokens, Clock clock) {
        this.store = store;
        this.sessions = sessions;
        this.offloads = new Offloads(store);
        this.recent = recent;
        this.tokens = tokens;
        this.clock = clock;
    }

    @Override
    public HelloDecision onHello(Peer peer, Hello hello) {
        boolean checksums = Features.has(hello.features(), Features.CHECKSUMS);
        switch (hello.role()) {
            case REPLICA -> {
                Token capability = tokens.verify(hello.credential(), Token.Kind.REPLICA, clock.millis());
                return new HelloDecision.Accept(new ReplicaSession(capability.slabId(), checksums));
            }
            case CLIENT -> {
                Token token = tokens.verify(hello.credential(), Token.Kind.SESSION, clock.millis());
                if (!token.subject().equals(hello.principal())) {
                    throw new AuthenticationFailure("a token of tenant " + token.subject() + " presented as " + hello.principal());
                }
                return openClient(peer, hello, new ClientSession(token.subject(), store.tenantId(token.subject()), checksums, clock));
            }
            default -> throw new AuthenticationFailure("a memory node serves client and replica sessions, not "
                    + hello.role());
        }
    }

    private HelloDecision openClient(Peer peer, Hello hello, ClientSession session) {
        // The session replaced goes first, so a runtime at its tenant's limit can always reconnect.
        Peer old = hello.supersedes() == 0 ? null : sessions.get(hello.supersedes(), session.tenantId());
        if (old != null) {
            sessions.remove(old);
        }
        sessions.open(peer, session.tenantId());
        if (old != null) {
            // Answer the new session only when nothing more from the old one can be applied.
            return new HelloDecision.AcceptLater(old.fence().thenApply(done -> session));
        }
        return new HelloDecision.Accept(session);
    }

    @Override
    public void onClose(Peer peer) {
        sessions.remove(peer);
    }

    @Override
    public void onRequest(Peer peer, FrameHeader h, ByteBuf body) {
        if (peer.attachment() instanceof ReplicaSession replica) {
            if (h.opcode() != Opcode.REPLICA_READ) {
                throw new RememException(ErrorCode.WRONG_ROLE, h.opcode() + " is not served to replica sessions");
            }
            Bodies.expectEnd(body, "replicaRead");
            if (h.slabId() != replica.slabId()) {
                throw new RememException(ErrorCode.NO_SUCH_SLAB, "slab " + h.slabId() + " does not exist on this memory node");
            }
            checkReadLength(h.length());
            Slab slab = store.forReplica(h.slabId());
            slab.checkRange(h.offset(), h.length());
            respondWithRead(peer, h, slab, replica.checksums());
            return;
        }
        ClientSession session = (ClientSession) peer.attachment();
        switch (h.opcode()) {
            case READ -> read(peer, h, body, session);
            case WRITEV -> writev(peer, h, body, session);
            case WRITEV_READ -> writevThenRead(peer, h, body, session);
            case CAS -> {
                long opId = Bodies.readLong(body, "cas.opId");
                long expected = Bodies.readLong(body, "cas.expected");
                long desired = Bodies.readLong(body, "cas.desired");
                Bodies.expectEnd(body, "cas");
                Slab slab = atomicTarget(peer, h, session);
                int seen = h.isRetry() ? recent.find(session.tenantId(), opId) : -1;
                long witness = seen >= 0 ? recent.answer(seen) : slab.compareAndExchange(h.offset(), expected, desired);
                if (seen < 0) {
                    recent.record(session.tenantId(), opId, witness);
                }
                peer.reply(h, h.slabId(), h.offset(), 8, 8, out -> out.writeLong(witness));
            }
            case FAA -> {
                long opId = Bodies.readLong(body, "faa.opId");
                long delta = Bodies.readLong(body, "faa.delta");
                Bodies.expectEnd(body, "faa");
                Slab slab = atomicTarget(peer, h, session);
                int seen = h.isRetry() ? recent.find(session.tenantId(), opId) : -1;
                long previous = seen >= 0 ? recent.answer(seen) : slab.getAndAdd(h.offset(), delta);
                if (seen < 0) {
                    recent.record(session.tenantId(), opId, previous);
                }
                peer.reply(h, h.slabId(), h.offset(), 8, 8, out -> out.writeLong(previous));
            }
            case SLAB_GRANT -> {
                byte[] wire = Bodies.readBytes(body, Grant.MAX_BYTES, "slabGrant.grant");
                Bodies.expectEnd(body, "slabGrant");
                Grant g = tokens.verify(wire, clock.millis());
                if (!g.grantee().equals(session.tenant())) {
                    throw new AuthenticationFailure("a grant for tenant " + g.grantee() + " presented by " + session.tenant());
                }
                session.add(g, store.tenantId(g.owner()));
                peer.reply(h, 0, 0, 0, 0, out -> {});
            }
            case SLAB_EPOCH -> {
                Bodies.expectEnd(body, "slabEpoch");
                Slab slab = store.owned(h.slabId(), session, true);
                if (!slab.declare(peer.session(), h.offset())) {
                    throw new RememException(ErrorCode.STALE_MAP, "slab " + h.slabId() + " is at epoch " + slab.epoch()
                            + " here, newer than " + h.offset() + "; look it up again");
                }
                peer.reply(h, h.slabId(), h.offset(), 0, 0, out -> {});
            }
            case OFFLOAD_AGGREGATE -> offloads.aggregate(peer, h, body, session);
            case OFFLOAD_CHASE -> offloads.chase(peer, h, body, session);
            case OFFLOAD_MAP_GET -> offloads.mapGet(peer, h, body, session);
            default -> throw new RememException(ErrorCode.WRONG_ROLE,
                    h.opcode() + " is not served to client sessions by a memory node");
        }
    }

    private void read(Peer peer, FrameHeader h, ByteBuf body, ClientSession session) {
        Bodies.expectEnd(body, "read");
        respondWithRead(peer, h, checkedRead(h, session), session.checksums());
    }

    /** An atomic runs only where the slab is readable (the primary), and only for a session that may write it. */
    private Slab atomicTarget(Peer peer, FrameHeader h, ClientSession session) {
        Slab slab = store.owned(h.slabId(), session, true); // an atomic writes: a grant for reading is not enough
        slab.checkReadable();
        slab.checkWritable(peer.session());
        return slab;
    }

    private static void checkReadLength(int length) {
        if (length < 0 || length > Wire.MAX_READ_BYTES) {
            throw new RememException(ErrorCode.TOO_LARGE, "read of " + length + " bytes: the limit is " + Wire.MAX_READ_BYTES);
        }
    }

    /** The slab a READ may read, after checking its length, owner and bounds. */
    private Slab checkedRead(FrameHeader h, ClientSession session) {
        int length = h.length();
        checkReadLength(length);
        Slab slab = store.access(h.slabId(), session);
        slab.checkRange(h.offset(), length);
        return slab;
    }

    /** Checks the read and every run before writing anything, so a bad request changes nothing. */
    private void writevThenRead(Peer peer, FrameHeader h, ByteBuf body, ClientSession session) {
        int count = Bodies.readCount(body, Wire.MAX_WRITE_RUNS, "writevRead.runCount");
        Slab slab = checkedRead(h, session);
        applyRuns(body, count, session, peer.session());
        respondWithRead(peer, h, slab, session.checksums());
    }

    /** Answers with the bytes read and, on a session with checksums, their CRC32C after them. */
    private void respondWithRead(Peer peer, FrameHeader h, Slab slab, boolean checksums) {
        int length = h.length();
        ByteBuf out = peer.alloc().ioBuffer(Wire.FRAME_OVERHEAD + length + Checksums.BYTES);
        try {
            int start = Frames.beginResponse(out, h, h.slabId(), h.offset(), length);
            int data = out.writerIndex();
            slab.read(h.offset(), length, out);
            if (checksums) {
                out.writeInt(Checksums.crc32c(crc, out, data, length));
            }
            Frames.finish(out, start);
        } catch (RuntimeException e) {
            out.release();
            throw e;
        }
        peer.send(out);
    }

    /**
     * All runs are checked (ownership, bounds) and their chunks backed before any byte is copied, so a bad run
     * or a full node rejects the whole request and leaves memory as it was.
     */
    /**
     * The header's offset field carries the operation id. A retry of a write this node already applied is answered
     * without applying it again: its bytes are the same, and skipping them cannot undo a newer write.
     */
    private void writev(Peer peer, FrameHeader h, ByteBuf body, ClientSession session) {
        long opId = h.offset();
        int applied = h.length();
        if (!h.isRetry() || recent.find(session.tenantId(), opId) < 0) {
            applyRuns(body, applied, session, peer.session());
            recent.record(session.tenantId(), opId, applied);
        }
        peer.reply(h, 0, 0, applied, 0, out -> {});
    }

    private void applyRuns(ByteBuf body, int count, ClientSession session, int sessionId) {
        WriteRunReader r = runs.reset(body, count, session.checksums());
        while (r.next()) {
            store.writable(r.slabId(), session, sessionId).checkRange(r.offset(), r.length());
        }
        r.rewind();
        while (r.next()) {
            store.owned(r.slabId(), session, true).backRange(r.offset(), r.length());
        }
        r.rewind();
        while (r.next()) {
            store.owned(r.slabId(), session, true).write(r.offset(), r.body(), r.dataIndex(), r.length());
        }
    }
}
