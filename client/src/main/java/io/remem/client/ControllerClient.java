package io.remem.client;

import io.remem.protocol.Bodies;
import io.remem.protocol.ClusterInfo;
import io.remem.protocol.ClusterStatus;
import io.remem.protocol.DatasetDelete;
import io.remem.protocol.DatasetGrantChange;
import io.remem.protocol.DatasetGrow;
import io.remem.protocol.DatasetInfo;
import io.remem.protocol.DatasetOpen;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.Opcode;
import io.remem.protocol.RememException;
import io.remem.protocol.Role;
import io.remem.protocol.SlabAlloc;
import io.remem.protocol.SlabRun;
import io.remem.protocol.Wire;
import io.remem.protocol.auth.Credentials;
import io.remem.transport.BodyWriter;
import io.remem.transport.ClientHandshake;
import io.remem.transport.ClientTls;
import io.remem.transport.Connections;
import io.remem.transport.EventLoops;
import io.remem.transport.HostPort;
import io.remem.transport.Peer;
import io.remem.transport.ResponseReader;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import java.util.function.Consumer;

/**
 * A connection to the controller, opened by proving a secret (a tenant's or the admin's) and opened again when it drops.
 * A tenant's session gets a session token in the handshake, for the memory nodes; it is handed to {@code onGrant}.
 */
final class ControllerClient implements AutoCloseable, SessionLease.Keeper {
    private final EventLoops loops;
    private final HostPort address;
    private final Role role;
    private final Credentials credentials;
    private final ClientTls tls;
    private final Duration connectTimeout;
    private final Duration callTimeout;
    private final long patienceNanos;
    private final Consumer<byte[]> onGrant;
    private final ControllerEvents.Listener events;
    private Peer peer; // guarded by this

    /**
     * @param patience how long a call keeps trying to reach a controller that is down or restarting before it fails
     *                 (zero: one try)
     * @param onGrant  receives the token each handshake grants (a tenant's session token); may ignore it
     */
    ControllerClient(EventLoops loops, HostPort address, Role role, Credentials credentials, ClientTls tls,
                     Duration connectTimeout, Duration callTimeout, Duration patience, Consumer<byte[]> onGrant) {
        this(loops, address, role, credentials, tls, connectTimeout, callTimeout, patience, onGrant, ControllerEvents.IGNORE);
    }

    /** As above; {@code events} hears what the controller announces (memory nodes declared dead or back). */
    ControllerClient(EventLoops loops, HostPort address, Role role, Credentials credentials, ClientTls tls,
                     Duration connectTimeout, Duration callTimeout, Duration patience, Consumer<byte[]> onGrant,
                     ControllerEvents.Listener events) {
        this.events = events;
        this.loops = loops;
        this.address = address;
        this.role = role;
        this.credentials = credentials;
        this.tls = tls;
        this.connectTimeout = connectTimeout;
        this.callTimeout = callTimeout;
        this.patienceNanos = patience.toNanos();
        this.onGrant = onGrant;
    }

    /**
     * One request, tried again on a new connection while the controller is unreachable, within the patience. An
     * allocation whose answer was lost may so be made twice; the extra slabs are leaked, never shared.
     */
    <T> T call(Opcode op, long slabId, int length, int bodySizeHint, BodyWriter body, ResponseReader<T> reader) {
        return retrying(() -> peer().call(op, slabId, 0, length, bodySizeHint, body, reader));
    }

    private <T> T retrying(Supplier<CompletableFuture<T>> request) {
        long deadline = System.nanoTime() + patienceNanos;
        for (int attempt = 0; ; attempt++) {
            try {
                return Peer.await(request.get());
            } catch (RememException e) {
                if (!unreachable(e) || System.nanoTime() - deadline > 0) {
                    throw e;
                }
                Failover.backOff(attempt);
            }
        }
    }

    /** One try: a request whose answer is not worth waiting for a restarting controller. */
    <T> T callOnce(Opcode op, long slabId, int length, int bodySizeHint, BodyWriter body, ResponseReader<T> reader) {
        return Peer.await(peer().call(op, slabId, 0, length, bodySizeHint, body, reader));
    }

    private synchronized Peer peer() {
        if (peer == null || !peer.isOpen()) {
            Peer fresh = Connections.connect(loops, address.host(), address.port(), new ControllerEvents(events), "client",
                    connectTimeout, callTimeout, tls);
            try {
                ClientHandshake.Session s = fresh.hello(role, credentials);
                if (s.grant().length > 0) {
                    onGrant.accept(s.grant());
                }
            } catch (RuntimeException e) {
                fresh.close();
                if (e instanceof RememException re && re.code() == ErrorCode.AUTHENTICATION_FAILED) {
                    throw new RememException(ErrorCode.AUTHENTICATION_FAILED, "the controller at " + address
                            + " refused " + credentials + ": " + re.detail(), re);
                }
                throw e;
            }
            peer = fresh;
            events.reconnected();
        }
        return peer;
    }

    /** One try: a session that cannot reach its controller at the start should say so at once. */
    ClusterInfo info() {
        return callOnce(Opcode.CLUSTER_INFO, 0, 0, 0, BodyWriter.EMPTY, (h, body) -> ClusterInfo.decode(body));
    }

    /** A run of slabs that joins lease {@code leaseId} (0: none, never reclaimed). */
    SlabRun allocate(long bytes, int replication, long leaseId) {
        SlabAlloc req = new SlabAlloc(bytes, replication);
        return call(Opcode.SLAB_ALLOC, leaseId, 0, 16, req::encode, (h, body) -> SlabRun.decode(body));
    }

    /**
     * Opens ({@code open}) or renews lease {@code leaseId}; returns its length in milliseconds.
     *
     * @throws RememException LEASE_EXPIRED on a renewal the controller no longer knows
     */
    @Override
    public long renewLease(long leaseId, boolean open) {
        return callWithOffset(Opcode.LEASE_RENEW, leaseId, open ? 1 : 0, (h, body) -> {
            long millis = Bodies.readNonNegativeLong(body, "leaseMillis");
            Bodies.expectEnd(body, "leaseRenew");
            return millis;
        });
    }

    /** Whether lease {@code leaseId}, of any tenant, is alive. */
    boolean leaseAlive(long leaseId) {
        return call(Opcode.LEASE_ALIVE, leaseId, 0, 0, BodyWriter.EMPTY, (h, body) -> {
            boolean alive = Bodies.readBoolean(body, "leaseAlive");
            Bodies.expectEnd(body, "leaseAlive");
            return alive;
        });
    }

    /** Ends lease {@code leaseId}: the controller frees every slab in it. */
    @Override
    public void closeLease(long leaseId) {
        callOnce(Opcode.LEASE_CLOSE, leaseId, 0, 0, BodyWriter.EMPTY, (h, body) -> null);
    }

    private <T> T callWithOffset(Opcode op, long slabId, long offset, ResponseReader<T> reader) {
        return retrying(() -> peer().call(op, slabId, offset, 0, 0, BodyWriter.EMPTY, reader));
    }

    private static boolean unreachable(RememException e) {
        return switch (e.code()) {
            case CONNECTION_CLOSED, NODE_UNAVAILABLE, TIMEOUT -> true;
            default -> false;
        };
    }

    void free(long firstSlabId, int count) {
        call(Opcode.SLAB_FREE, firstSlabId, count, 0, BodyWriter.EMPTY, (h, body) -> null);
    }

    SlabRun lookup(long firstSlabId, int count) {
        return call(Opcode.SLAB_LOOKUP, firstSlabId, count, 0, BodyWriter.EMPTY, (h, body) -> SlabRun.decode(body));
    }

    /** Opens (or creates) a dataset for lease {@code leaseId}. */
    DatasetInfo.Opened openDataset(DatasetOpen open, long leaseId) {
        return call(Opcode.DATASET_OPEN, leaseId, 0, 64, open::encode, (h, body) -> DatasetInfo.decodeOpened(body));
    }

    /** Grows a dataset, or says how big it is now ({@link DatasetGrow}); the answer is as an open's. */
    DatasetInfo.Opened growDataset(DatasetGrow grow) {
        return call(Opcode.DATASET_GROW, 0, 0, 64, grow::encode, (h, body) -> DatasetInfo.decodeOpened(body));
    }

    /** Lease {@code leaseId} closes {@code owner}'s dataset (empty: its own tenant's). */
    void closeDataset(String owner, String name, long leaseId) {
        call(Opcode.DATASET_CLOSE, leaseId, 0, 64, out -> {
            Bodies.writeString(out, owner);
            Bodies.writeString(out, name);
        }, (h, body) -> null);
    }

    /** Grants {@code grantee} access to this tenant's dataset {@code name}, or revokes it (NONE). */
    void grantDataset(DatasetGrantChange change) {
        call(Opcode.DATASET_GRANT, 0, 0, 64, change::encode, (h, body) -> null);
    }

    void deleteDataset(DatasetDelete delete, long leaseId) {
        call(Opcode.DATASET_DELETE, leaseId, 0, 64, delete::encode, (h, body) -> null);
    }

    List<DatasetInfo> datasets() {
        return call(Opcode.DATASET_LIST, 0, 0, 0, BodyWriter.EMPTY, (h, body) -> DatasetInfo.decodeList(body));
    }

    /** Reports that memory node {@code nodeId} did not answer this client. */
    void suspect(long nodeId) {
        callOnce(Opcode.NODE_SUSPECT, nodeId, 0, 0, BodyWriter.EMPTY, (h, body) -> null);
    }

    /** A fresh session token, before the one this session holds expires. */
    byte[] renewToken() {
        return call(Opcode.TOKEN_RENEW, 0, 0, 0, BodyWriter.EMPTY,
                (h, body) -> {
                    byte[] t = Bodies.readBytes(body, Wire.MAX_STRING_BYTES, "token");
                    Bodies.expectEnd(body, "tokenRenew");
                    return t;
                });
    }

    ClusterStatus status() {
        return callOnce(Opcode.STATUS, 0, 0, 0, BodyWriter.EMPTY, (h, body) -> ClusterStatus.decode(body));
    }

    @Override
    public synchronized void close() {
        if (peer != null) {
            peer.close();
        }
    }
}
