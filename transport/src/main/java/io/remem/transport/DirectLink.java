package io.remem.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.remem.protocol.Bodies;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.FrameHeader;
import io.remem.protocol.Frames;
import io.remem.protocol.AuthProof;
import io.remem.protocol.Checksums;
import io.remem.protocol.Features;
import io.remem.protocol.Hello;
import io.remem.protocol.HelloReply;
import io.remem.protocol.Opcode;
import io.remem.protocol.RememException;
import io.remem.protocol.Role;
import io.remem.protocol.Wire;
import io.remem.protocol.auth.Credentials;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A client connection to a memory node on which the calling threads do the socket I/O themselves, so a cache
 * miss costs one network round trip and nothing else (LegoOS: the faulting thread fetches the block).
 *
 * <p>Why not Netty here: a Netty channel does its I/O on its event loop, so every blocking request pays two
 * thread hand-offs, caller to event loop and back. On loopback that put a 4 KiB miss at 1.3-1.5x a raw socket
 * ping-pong (docs/benchmarks.md). Servers and the control path stay on Netty.
 *
 * <p>How: a request is written by its caller under a write lock. Responses are read by a leader: whichever waiting
 * thread takes the read lock reads frames, completes whichever calls they answer (a block goes straight from the
 * socket into its cache frame) and hands the read lock on when its own call is done (leader/followers). A request
 * whose caller does not wait (a write-back) starts a reaper virtual thread that leads until nothing is pending.
 * Blocking happens in socket reads and parks, so virtual threads never pin their carriers.
 *
 * <p>A watchdog closes the link when any request outlives its timeout; every pending call then fails, the overdue
 * ones with {@link ErrorCode#TIMEOUT} and the rest with {@link ErrorCode#CONNECTION_CLOSED}, and the next request
 * opens a fresh link.
 */
public final class DirectLink implements AutoCloseable {
    private static final long FOLLOWER_PARK_NANOS = TimeUnit.MICROSECONDS.toNanos(200);
    private static final int SMALL_BODY = 256;
    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("remem-link-watchdog").factory());

    private final LinkChannel channel;
    private final String remote;
    private final long timeoutNanos;
    private final ReentrantLock writeLock = new ReentrantLock();
    private final ReentrantLock readLock = new ReentrantLock();
    private final ByteBuffer out = ByteBuffer.allocateDirect(Wire.FRAME_OVERHEAD + SMALL_BODY); // under writeLock
    private final ResponseStream responses;                                                      // under readLock
    private final PendingCalls pending = new PendingCalls();
    private final Set<Thread> followers = ConcurrentHashMap.newKeySet();
    private final AtomicLong ids = new AtomicLong(1);
    private final AtomicBoolean reaping = new AtomicBoolean();
    private final ScheduledFuture<?> watchdog;
    private volatile int session;
    /** Round trips of blocking calls, for {@link #earlyDeadline}. */
    private final RoundTripEstimate roundTrips = new RoundTripEstimate();
    /** Whether answers carrying data end in a CRC32C of it ({@link Features#CHECKSUMS}); set by {@link #hello}. */
    private volatile boolean checksums;
    private volatile RememException broken;
    /** The call whose response body the leader is reading now, so the watchdog can see its deadline too. */
    private volatile LinkCall<?> reading;
    /** Calls' deadlines and round trips are measured on it. */
    private final NanoClock clock;
    /** How long a waiting leader spins on the socket before blocking in it, when {@link SpinGate} allows; 0: never. */
    private final long spinNanos;
    private final SpinGate spinGate;

    private DirectLink(LinkChannel channel, String remote, Duration timeout, NanoClock clock, long spinNanos,
                       SpinGate spinGate) {
        this.channel = channel;
        this.responses = new ResponseStream(channel, remote);
        this.clock = clock;
        this.spinNanos = spinNanos;
        this.spinGate = spinGate;
        this.remote = remote;
        this.timeoutNanos = timeout.toNanos();
        // Often enough for a read's early deadline (tens of milliseconds) to be noticed about when it passes.
        long period = Math.max(5, Math.min(20, timeout.toMillis() / 4));
        this.watchdog = WATCHDOG.scheduleAtFixedRate(this::expire, period, period, TimeUnit.MILLISECONDS);
    }

    /**
     * Connects to {@code host:port}, over TLS if {@code tls} is not null (the handshake is done when this returns).
     * Call {@link #hello} before anything else.
     */
    public static DirectLink connect(String host, int port, Duration connectTimeout, Duration callTimeout, ClientTls tls) {
        return connect(host, port, connectTimeout, callTimeout, tls, NanoClock.SYSTEM);
    }

    /** As above, with calls' deadlines on {@code clock}. */
    public static DirectLink connect(String host, int port, Duration connectTimeout, Duration callTimeout, ClientTls tls,
                                     NanoClock clock) {
        return connect(host, port, connectTimeout, callTimeout, tls, clock, Duration.ZERO);
    }

    /**
     * As above, and a thread waiting for an answer spins on the socket for up to {@code spinWait} before it blocks,
     * when it is its process's one waiter and has a CPU to spare ({@link SpinGate}).
     */
    public static DirectLink connect(String host, int port, Duration connectTimeout, Duration callTimeout, ClientTls tls,
                                     NanoClock clock, Duration spinWait) {
        return connect(host, port, connectTimeout, callTimeout, tls, clock, spinWait, SpinGate.PROCESS);
    }

    /** As above, with waits let spin by {@code gate} rather than the process's: for tests. */
    static DirectLink connect(String host, int port, Duration connectTimeout, Duration callTimeout, ClientTls tls,
                              NanoClock clock, Duration spinWait, SpinGate gate) {
        return new DirectLink(LinkChannel.open(host, port, connectTimeout, tls), host + ":" + port, callTimeout, clock,
                spinWait.toNanos(), gate);
    }

    /** As above, in plain TCP. */
    public static DirectLink connect(String host, int port, Duration connectTimeout, Duration callTimeout) {
        return connect(host, port, connectTimeout, callTimeout, null);
    }

    // ------------------------------------------------------------------ requests

    /**
     * Opens the session, proving {@code credentials}, replacing session {@code supersedes} of an earlier, broken link to
     * the same node (0 for none), asking for {@code features}. Fails if the node does not grant them all.
     */
    public ClientHandshake.Session hello(Role role, Credentials credentials, int supersedes, int features) {
        return hello(role, credentials, supersedes, features, timeoutNanos);
    }

    /**
     * As above, giving each handshake request {@code withinNanos}: a node that accepts connections but does not answer
     * (stopped, say) is given up on after that, not after the link's full request timeout.
     */
    public ClientHandshake.Session hello(Role role, Credentials credentials, int supersedes, int features,
                                         long withinNanos) {
        ClientHandshake.Session s = ClientHandshake.run(new ClientHandshake.Exchange() {
            @Override
            public HelloReply hello(Hello hello) {
                ByteBuf body = Unpooled.buffer(128);
                hello.encode(body);
                return call(Opcode.HELLO, 0, 0, 0, body.nioBuffer(), null, (h, b) -> HelloReply.decode(b), withinNanos);
            }

            @Override
            public HelloReply auth(AuthProof proof) {
                ByteBuf body = Unpooled.buffer(64);
                proof.encode(body);
                return call(Opcode.AUTH, 0, 0, 0, body.nioBuffer(), null, (h, b) -> HelloReply.decode(b), withinNanos);
            }
        }, role, credentials, supersedes, features, remote);
        if ((s.features() & features) != features) {
            close();
            throw new RememException(ErrorCode.UNSUPPORTED_VERSION, remote + " did not grant features " + features
                    + " (granted " + s.features() + ")");
        }
        session = s.id();
        checksums = Features.has(s.features(), Features.CHECKSUMS);
        return s;
    }

    /** Whether this session's data carries checksums ({@link Features#CHECKSUMS}). */
    public boolean checksums() {
        return checksums;
    }

    /** Reads {@code dst.byteSize()} bytes at {@code offset} of {@code slabId} straight into {@code dst}. Blocks. */
    public void read(long slabId, long offset, MemorySegment dst) {
        read(slabId, offset, dst, timeoutNanos);
    }

    /**
     * As above, but if no answer has come within {@code withinNanos} (less than the link's timeout: a deadline drawn from
     * the node's usual latency, for a read another replica could serve), the link is failed with {@link
     * ErrorCode#TIMEOUT}: the caller retries elsewhere rather than wait out the full timeout on a stalled node.
     */
    public void read(long slabId, long offset, MemorySegment dst, long withinNanos) {
        if (dst.byteSize() > Wire.MAX_READ_BYTES) {
            throw new RememException(ErrorCode.TOO_LARGE, "read of " + dst.byteSize() + " bytes");
        }
        call(Opcode.READ, slabId, offset, (int) dst.byteSize(), null, dst, null, withinNanos);
    }

    /**
     * Starts reading bytes at {@code offset} of {@code slabId} straight into {@code dsts}, one after the other (one
     * request, scattered on arrival: consecutive blocks into frames that are not); the future completes when they are
     * all there. The segments must stay valid until then.
     */
    public CompletableFuture<Void> readAsync(long slabId, long offset, MemorySegment... dsts) {
        return readAsync(Opcode.READ, slabId, offset, dsts);
    }

    /** As above, for {@code op}, a request whose response body is the bytes read (READ, REPLICA_READ). */
    public CompletableFuture<Void> readAsync(Opcode op, long slabId, long offset, MemorySegment... dsts) {
        CompletableFuture<Void> future = new CompletableFuture<>();
        long total = 0;
        for (MemorySegment d : dsts) {
            total += d.byteSize();
        }
        if (total > Wire.MAX_READ_BYTES) {
            future.completeExceptionally(new RememException(ErrorCode.TOO_LARGE, "read of " + total + " bytes"));
            return future;
        }
        LinkCall<Void> c = new LinkCall<>(op, dsts, null, null, future, clock.nanoTime(), timeoutNanos);
        try {
            send(c, op, 0, slabId, offset, (int) total, null);
        } catch (RememException e) {
            future.completeExceptionally(e);
            return future;
        }
        startReaper();
        return future;
    }

    /**
     * Starts several reads at once, written to the socket together: one system call for the lot, and the node
     * answers them in one go. {@code slabIds[i]}, {@code offsets[i]} and {@code dsts[i]} describe read i.
     */
    public List<CompletableFuture<Void>> readAsyncBatch(long[] slabIds, long[] offsets, MemorySegment[][] dsts) {
        int n = slabIds.length;
        List<CompletableFuture<Void>> futures = new ArrayList<>(n);
        ByteBuffer requests = ByteBuffer.allocateDirect(n * Wire.FRAME_OVERHEAD);
        RememException b = broken;
        for (int i = 0; i < n; i++) {
            CompletableFuture<Void> future = new CompletableFuture<>();
            futures.add(future);
            LinkCall<Void> c = new LinkCall<>(Opcode.READ, dsts[i], null, null, future, clock.nanoTime(), timeoutNanos);
            if (b != null) {
                future.completeExceptionally(b);
                continue;
            }
            if (c.dstBytes > Wire.MAX_READ_BYTES) {
                future.completeExceptionally(new RememException(ErrorCode.TOO_LARGE, "read of " + c.dstBytes + " bytes"));
                continue;
            }
            long id = ids.getAndIncrement();
            c.id = id;
            pending.put(c);
            Frames.writeRequestHeader(requests, Opcode.READ, id, session, slabIds[i], offsets[i], (int) c.dstBytes, 0);
        }
        requests.flip();
        if (!requests.hasRemaining()) {
            return futures;
        }
        if (broken != null) { // failed while we registered: the sweep may have missed some of ours
            fail(broken);
            RememException cause = broken;
            pending.drain(c -> c.fail(cause));
            return futures;
        }
        writeLock.lock();
        boolean interrupted = Thread.interrupted();
        try {
            channel.write(requests);
        } catch (IOException e) {
            fail(new RememException(ErrorCode.CONNECTION_CLOSED, "writing to " + remote + " failed: " + e.getMessage(), e));
        } finally {
            writeLock.unlock();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        startReaper();
        return futures;
    }

    /** Sends a request and waits for its response, possibly reading it off the socket itself. */
    public <T> T call(Opcode op, long slabId, long offset, int length, ByteBuffer body, MemorySegment dst,
                      ResponseReader<T> reader) {
        return call(op, slabId, offset, length, body, dst, reader, timeoutNanos);
    }

    /** As above, failing the link if no answer comes within {@code withinNanos} (at most the link's timeout). */
    public <T> T call(Opcode op, long slabId, long offset, int length, ByteBuffer body, MemorySegment dst,
                      ResponseReader<T> reader, long withinNanos) {
        MemorySegment[] dsts = dst == null ? null : new MemorySegment[] {dst};
        LinkCall<T> c = new LinkCall<>(op, dsts, reader, Thread.currentThread(), null, clock.nanoTime(),
                Math.min(withinNanos, timeoutNanos));
        send(c, op, 0, slabId, offset, length, body);
        awaitDone(c);
        if (c.error != null) {
            throw new RememException(c.error.code(), c.error.detail(), c.error);
        }
        roundTrips.sample(clock.nanoTime() - c.created);
        return c.result;
    }

    /**
     * Sends a request without waiting; the future completes when its response arrives. {@code body} must not be
     * touched until then.
     */
    public <T> CompletableFuture<T> callAsync(Opcode op, long slabId, long offset, int length, ByteBuffer body,
                                              ResponseReader<T> reader) {
        return callAsync(op, 0, slabId, offset, length, body, reader);
    }

    /** As above, with request {@code flags} such as {@code Wire.FLAG_RETRY}. */
    public <T> CompletableFuture<T> callAsync(Opcode op, int flags, long slabId, long offset, int length, ByteBuffer body,
                                              ResponseReader<T> reader) {
        CompletableFuture<T> future = new CompletableFuture<>();
        LinkCall<T> c = new LinkCall<>(op, null, reader, null, future, clock.nanoTime(), timeoutNanos);
        try {
            send(c, op, flags, slabId, offset, length, body);
        } catch (RememException e) {
            future.completeExceptionally(e);
            return future;
        }
        startReaper();
        return future;
    }

    /**
     * How long to wait for an answer on this link before trying another replica: the smoothed round trip plus eight
     * times its variation (a high percentile of what this node usually takes), at least {@code floorNanos} and at most
     * the link's timeout. Just the floor before the first answer.
     */
    public long earlyDeadline(long floorNanos) {
        return roundTrips.deadline(floorNanos, timeoutNanos);
    }

    public boolean isOpen() {
        return broken == null && channel.isOpen();
    }

    /** The session id the node gave this link; 0 before {@link #hello}. */
    public int session() {
        return session;
    }

    public String remote() {
        return remote;
    }

    /** Requests sent and not yet answered. */
    public int inFlight() {
        return pending.size();
    }

    @Override
    public void close() {
        fail(new RememException(ErrorCode.CONNECTION_CLOSED, "connection to " + remote + " was closed"));
    }

    // ------------------------------------------------------------------ sending

    private void send(LinkCall<?> c, Opcode op, int flags, long slabId, long offset, int length, ByteBuffer body) {
        RememException b = broken;
        if (b != null) {
            throw new RememException(b.code(), b.detail(), b);
        }
        int bodyBytes = body == null ? 0 : body.remaining();
        if (bodyBytes > Wire.MAX_BODY_BYTES) {
            throw new RememException(ErrorCode.TOO_LARGE, op + " body of " + bodyBytes + " bytes");
        }
        long id = ids.getAndIncrement();
        c.id = id;
        pending.put(c);
        if (broken != null) { // failed between the check above and the put: the failure sweep may have missed c
            pending.remove(c);
            throw new RememException(broken.code(), broken.detail(), broken);
        }
        writeLock.lock();
        boolean interrupted = Thread.interrupted(); // an interrupt must not close a link other threads share
        try {
            out.clear();
            Frames.writeRequestHeader(out, op, flags, id, session, slabId, offset, length, bodyBytes);
            if (bodyBytes <= out.remaining()) {
                if (body != null) {
                    out.put(body.duplicate());
                }
                out.flip();
                channel.write(out);
            } else {
                out.flip();
                channel.write(out, body.duplicate());
            }
        } catch (IOException e) {
            pending.remove(c);
            fail(new RememException(ErrorCode.CONNECTION_CLOSED, "writing to " + remote + " failed: " + e.getMessage(), e));
            throw new RememException(ErrorCode.CONNECTION_CLOSED, op + " to " + remote + " failed: " + e.getMessage(), e);
        } finally {
            writeLock.unlock();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ------------------------------------------------------------------ receiving (leader/followers)

    private void awaitDone(LinkCall<?> c) {
        spinGate.enter();
        try {
            awaitDone(c, Thread.currentThread());
        } finally {
            spinGate.exit();
        }
    }

    private void awaitDone(LinkCall<?> c, Thread me) {
        while (!c.isDone()) {
            RememException b = broken;
            if (b != null && pending.remove(c)) {
                c.fail(b); // still unclaimed: nobody will answer it now
                break;
            }
            // Otherwise a leader owns the call and completes it as soon as it stops reading into it.
            if (readLock.tryLock()) {
                try {
                    while (!c.isDone() && broken == null) {
                        spinForAnswer();
                        readFrame();
                    }
                } finally {
                    readLock.unlock();
                    promoteFollower();
                }
            } else {
                followers.add(me);
                try {
                    if (!c.isDone() && readLock.isLocked()) {
                        LockSupport.parkNanos(this, FOLLOWER_PARK_NANOS);
                    }
                } finally {
                    followers.remove(me);
                }
            }
        }
    }

    /** Spins until the answer's first bytes are there, if allowed: a blocking read would pay a wake-up for them. */
    private void spinForAnswer() {
        if (spinNanos > 0 && spinGate.maySpin()) {
            try {
                channel.spinUntilReadable(spinNanos, clock);
            } catch (IOException e) {
                // the read that follows meets the same failure, and reports it
            }
        }
    }

    private void startReaper() {
        if (reaping.compareAndSet(false, true)) {
            Thread.ofVirtual().name("remem-link-reaper").start(this::reap);
        }
    }

    /** Leads or follows until nothing is pending, so responses nobody waits for are still read. */
    private void reap() {
        while (true) {
            while (!pending.isEmpty() && broken == null) {
                if (readLock.tryLock()) {
                    try {
                        while (!pending.isEmpty() && broken == null) {
                            readFrame();
                        }
                    } finally {
                        readLock.unlock();
                        promoteFollower();
                    }
                } else {
                    LockSupport.parkNanos(this, FOLLOWER_PARK_NANOS);
                }
            }
            reaping.set(false);
            // A request sent after the emptiness check above may have found the reaper still running: look again.
            if (pending.isEmpty() || broken != null || !reaping.compareAndSet(false, true)) {
                return;
            }
        }
    }

    private void promoteFollower() {
        for (Thread t : followers) {
            LockSupport.unpark(t);
            return;
        }
    }

    /**
     * Reads one response and completes its call. Called with the read lock held. Never throws.
     *
     * <p>The leader that takes a call out of {@link #pending} owns it: it alone completes it, on every path, and only
     * after it has stopped reading into the call's destination. Others wait for it, so no frame is handed back to
     * the cache while bytes can still land in it.
     */
    private void readFrame() {
        if (broken != null) {
            return;
        }
        LinkCall<?> c = null;
        boolean interrupted = Thread.interrupted(); // an interrupt must not close a link other threads share
        try {
            FrameHeader h = responses.nextHeader();
            int bodyBytes = responses.bodyBytes();
            c = pending.remove(h.requestId());
            if (c == null) {
                responses.skip(bodyBytes); // not ours any more: the link is failing and its calls were swept
                return;
            }
            reading = c;
            if (h.status() != 0) {
                ByteBuf body = responses.readBody(bodyBytes);
                String message;
                try {
                    message = Bodies.readString(body, "error.message");
                } catch (RememException e) {
                    message = "(unreadable message)";
                }
                c.fail(new RememException(ErrorCode.ofCode(h.status()), message));
            } else if (c.dsts != null) {
                boolean withCrc = checksums;
                if (bodyBytes != c.dstBytes + (withCrc ? Checksums.BYTES : 0)) {
                    responses.skip(bodyBytes);
                    c.fail(RememException.malformed(c.op + " returned " + bodyBytes + " bytes, not " + c.dstBytes
                            + (withCrc ? " and a checksum" : "")));
                } else {
                    responses.readInto(c.dsts, withCrc); // socket straight into the cache frames, one read if it can
                    if (withCrc && !responses.checksumMatches(c.dsts)) {
                        c.fail(new RememException(ErrorCode.CHECKSUM_MISMATCH, c.op + " of " + c.dstBytes + " bytes from "
                                + remote + " does not match its checksum"));
                    } else {
                        c.succeed(null);
                    }
                }
            } else {
                c.complete(h, responses.readBody(bodyBytes));
            }
        } catch (Throwable t) {
            RememException cause = switch (t) {
                case IOException e -> new RememException(ErrorCode.CONNECTION_CLOSED,
                        "connection to " + remote + " failed: " + e.getMessage(), e);
                case RememException e -> new RememException(ErrorCode.CONNECTION_CLOSED,
                        "bad response from " + remote + ": " + e.detail(), e);
                // For example a destination segment closed under us: the frame is half read, the link is unusable.
                default -> new RememException(ErrorCode.CONNECTION_CLOSED, "reading from " + remote + " failed: " + t, t);
            };
            RememException b = broken;
            fail(cause);
            if (c != null) {
                c.fail(b != null ? b : cause); // the watchdog's reason, if it closed the link under this read
            }
        } finally {
            reading = null;
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ------------------------------------------------------------------ failure

    /**
     * A request unanswered past its deadline fails the whole link. A memory node answers a connection's requests in
     * order, so one overdue answer means the node is hung or the network is; and the thread waiting for it may be
     * the leader, blocked in a socket read that only closing the channel can wake.
     */
    private void expire() {
        long now = clock.nanoTime();
        LinkCall<?> r = reading;
        if (r != null && now - r.deadline > 0) {
            fail(new RememException(ErrorCode.TIMEOUT, r.op + " response from " + remote + " stalled mid-frame for "
                    + TimeUnit.NANOSECONDS.toMillis(r.budget()) + " ms; closing the connection"));
            return;
        }
        LinkCall<?> c = pending.overdue(now);
        if (c != null) {
            fail(new RememException(ErrorCode.TIMEOUT, c.op + " to " + remote + " got no response in "
                    + TimeUnit.NANOSECONDS.toMillis(c.budget()) + " ms; closing the connection"));
        }
    }

    private void fail(RememException cause) {
        synchronized (this) {
            if (broken != null) {
                return;
            }
            broken = cause;
        }
        watchdog.cancel(false);
        channel.close(); // wakes a leader blocked in read
        pending.drain(c -> c.fail(new RememException(cause.code(), c.op + ": " + cause.detail(), cause)));
        for (Thread t : followers) {
            LockSupport.unpark(t);
        }
    }

    /** One request in flight. Completed exactly once, by a leader, the watchdog or a failure. */
}
