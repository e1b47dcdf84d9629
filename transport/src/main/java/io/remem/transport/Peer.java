package io.remem.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.util.concurrent.ScheduledFuture;
import io.remem.protocol.Bodies;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.FrameHeader;
import io.remem.protocol.Frames;
import io.remem.protocol.AuthProof;
import io.remem.protocol.Hello;
import io.remem.protocol.HelloReply;
import io.remem.protocol.Opcode;
import io.remem.protocol.RememException;
import io.remem.protocol.Role;
import io.remem.protocol.Wire;
import io.remem.protocol.auth.AuthenticationFailure;
import io.remem.protocol.auth.Credentials;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One end of a remem connection. It sends requests and matches their responses by request id, so any number
 * of requests can be in flight at once on one connection (pipelining); and, if it has a {@link RequestHandler},
 * it serves the requests the other end sends. A memory node's link to the controller uses both directions.
 *
 * <p>Every inbound frame is validated before use. A frame that cannot be trusted to be framed correctly (too
 * long, too short, wrong version) gets an error response and the connection is closed; any other bad request
 * gets a typed error response and the connection stays open.
 */
public final class Peer extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(Peer.class);
    private static final long SWEEP_MILLIS = 50;

    private final RequestHandler handler;
    private final String localName;
    private final long defaultTimeoutNanos;
    /** How long a connection may go without opening a session before it is closed; 0 for none (client side). */
    private final long handshakeTimeoutNanos;
    /** How long a frame may take to arrive once it has started; 0 for no limit (client side). */
    private final long frameTimeoutNanos;
    /** Non-zero on a connection over the server's limit of this many: it is refused at its first frame. */
    private final int overLimit;
    private final ServerHandshake handshake;
    private final FrameHeader header = new FrameHeader();
    private final Map<Long, Call<?>> pending = new ConcurrentHashMap<>();
    private final AtomicLong nextRequestId = new AtomicLong(1);
    private final CompletableFuture<Peer> closeFuture = new CompletableFuture<>();

    private volatile ChannelHandlerContext ctx;
    /** Assigned when HELLO arrives, so a handler can index sessions by it; frames may use it once {@link #open}. */
    private volatile int session;
    private volatile boolean open;
    private volatile int features;
    private volatile byte[] binding = new byte[0];
    private volatile Object attachment;
    private volatile boolean closed;
    private volatile String remoteName = "?";
    private volatile boolean fenced;
    /** True while this peer's own channelRead runs, so replies can wait for channelReadComplete's flush. */
    private boolean reading;
    private boolean flushPending;
    private ScheduledFuture<?> sweeper;
    private ScheduledFuture<?> handshakeTimer;
    /** Requests read while the outbound buffer was full, served once it drains; I/O thread only. */
    private final ArrayDeque<ByteBuf> deferred = new ArrayDeque<>();

    /**
     * @param handler          serves inbound requests; {@code null} if this end only sends requests
     * @param localName        how this end introduces itself in HELLO responses
     * @param callTimeout      how long an outgoing request may wait for its response by default
     * @param handshakeTimeout how long an accepted connection may take to open its session; zero for none
     * @param frameTimeout     how long a frame may take to arrive once begun; zero for none
     * @param overLimit        non-zero if the server already holds this many connections: refuse this one
     */
    Peer(RequestHandler handler, String localName, Duration callTimeout, Duration handshakeTimeout,
         Duration frameTimeout, int overLimit) {
        this.handler = handler;
        this.localName = localName;
        this.defaultTimeoutNanos = callTimeout.toNanos();
        this.handshakeTimeoutNanos = handshakeTimeout.toNanos();
        this.frameTimeoutNanos = frameTimeout.toNanos();
        this.overLimit = overLimit;
        this.handshake = handler == null ? null : new ServerHandshake(this, handler, localName);
    }

    /** An outgoing connection's end: no handshake or frame deadlines of its own. */
    Peer(RequestHandler handler, String localName, Duration callTimeout) {
        this(handler, localName, callTimeout, Duration.ZERO, Duration.ZERO, 0);
    }

    // ---------------------------------------------------------------- outgoing requests

    /** Sends a request and returns its eventual result. Never blocks. */
    public <T> CompletableFuture<T> call(Opcode op, long slabId, long offset, int length, int bodySizeHint,
                                         BodyWriter body, ResponseReader<T> reader) {
        return call(op, slabId, offset, length, bodySizeHint, body, reader, defaultTimeoutNanos);
    }

    /** As {@link #call(Opcode, long, long, int, int, BodyWriter, ResponseReader)}, with its own timeout. */
    public <T> CompletableFuture<T> call(Opcode op, long slabId, long offset, int length, int bodySizeHint,
                                         BodyWriter body, ResponseReader<T> reader, long timeoutNanos) {
        long id = nextRequestId.getAndIncrement();
        Call<T> call = new Call<>(op, reader, System.nanoTime() + timeoutNanos);
        ChannelHandlerContext c = ctx;
        if (closed || c == null) {
            call.completeExceptionally(closedError(op));
            return call;
        }
        ByteBuf out = c.alloc().ioBuffer(Wire.FRAME_OVERHEAD + Math.max(0, bodySizeHint));
        try {
            int start = Frames.beginRequest(out, op, id, session, slabId, offset, length);
            body.write(out);
            Frames.finish(out, start);
        } catch (RuntimeException e) {
            out.release();
            call.completeExceptionally(e);
            return call;
        }
        pending.put(id, call);
        if (closed) { // closed while we encoded: channelInactive may have missed this call
            fail(id, closedError(op));
            out.release();
            return call;
        }
        c.channel().writeAndFlush(out, c.channel().voidPromise());
        return call;
    }

    /**
     * Sends a request whose body is already encoded, without copying it; the body is released once written.
     * For large bodies such as write-back batches.
     */
    public <T> CompletableFuture<T> call(Opcode op, long slabId, long offset, int length, ByteBuf body,
                                         ResponseReader<T> reader) {
        long id = nextRequestId.getAndIncrement();
        Call<T> call = new Call<>(op, reader, System.nanoTime() + defaultTimeoutNanos);
        ChannelHandlerContext c = ctx;
        if (closed || c == null) {
            body.release();
            call.completeExceptionally(closedError(op));
            return call;
        }
        if (body.readableBytes() > Wire.MAX_BODY_BYTES) {
            body.release();
            call.completeExceptionally(new RememException(ErrorCode.TOO_LARGE,
                    op + " body of " + body.readableBytes() + " bytes exceeds " + Wire.MAX_BODY_BYTES));
            return call;
        }
        ByteBuf header = c.alloc().ioBuffer(Wire.FRAME_OVERHEAD);
        Frames.beginRequest(header, op, id, session, slabId, offset, length);
        header.setInt(0, Wire.HEADER_BYTES + body.readableBytes());
        ByteBuf frame = c.alloc().compositeBuffer(2).addComponents(true, header, body);
        pending.put(id, call);
        if (closed) {
            fail(id, closedError(op));
            frame.release();
            return call;
        }
        c.channel().writeAndFlush(frame, c.channel().voidPromise());
        return call;
    }

    /**
     * Opens a session on the other end (client side of the handshake), proving {@code credentials}. Blocks until the
     * session is open or refused.
     */
    public ClientHandshake.Session hello(Role role, Credentials credentials) {
        ClientHandshake.Session s = ClientHandshake.run(new ClientHandshake.Exchange() {
            @Override
            public HelloReply hello(Hello hello) {
                return await(call(Opcode.HELLO, 0, 0, 0, 128, hello::encode, (h, body) -> HelloReply.decode(body)));
            }

            @Override
            public HelloReply auth(AuthProof proof) {
                return await(call(Opcode.AUTH, 0, 0, 0, 64, proof::encode, (h, body) -> HelloReply.decode(body)));
            }
        }, role, credentials, 0, 0, remote());
        session = s.id();
        features = s.features();
        binding = s.binding();
        open = true;
        return s;
    }

    /**
     * Waits for a call's result. Remote errors come back as {@link RememException} with the remote code; the
     * exception is rethrown in the waiting thread so its stack trace shows the caller.
     */
    public static <T> T await(CompletableFuture<T> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RememException(ErrorCode.INTERNAL, "interrupted while waiting for a response", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RememException re) {
                throw new RememException(re.code(), re.detail(), re);
            }
            throw new RememException(ErrorCode.INTERNAL, String.valueOf(cause), cause);
        }
    }

    // ---------------------------------------------------------------- replies (server side)

    /** A handle on a request that a handler answers later, possibly from another thread. */
    public Reply replyLater(FrameHeader request) {
        return new Reply(this, request.opcodeCode(), request.requestId(), request.session());
    }

    /** Answers {@code request} with a successful response. */
    public void reply(FrameHeader request, long slabId, long offset, int length, int bodySizeHint, BodyWriter body) {
        ByteBuf out = alloc().ioBuffer(Wire.FRAME_OVERHEAD + Math.max(0, bodySizeHint));
        try {
            int start = Frames.beginResponse(out, request, slabId, offset, length);
            body.write(out);
            Frames.finish(out, start);
        } catch (RuntimeException e) {
            out.release();
            throw e;
        }
        send(out);
    }

    /** Answers a request with a typed error. */
    public void replyError(int opcodeCode, long requestId, int requestSession, ErrorCode code, String message) {
        ByteBuf out = alloc().ioBuffer(Wire.FRAME_OVERHEAD + 64 + message.length());
        Frames.writeError(out, opcodeCode, requestId, requestSession, code, message);
        send(out);
    }

    /** Queues a finished frame. Inside this peer's own read it waits for the read-complete flush. */
    public void send(ByteBuf frame) {
        ChannelHandlerContext c = ctx;
        if (c == null || closed) {
            frame.release();
            return;
        }
        if (reading && c.executor().inEventLoop()) {
            c.write(frame, c.voidPromise());
            flushPending = true;
        } else {
            c.writeAndFlush(frame, c.voidPromise());
        }
    }

    public ByteBufAllocator alloc() {
        ChannelHandlerContext c = ctx;
        return c == null ? ByteBufAllocator.DEFAULT : c.alloc();
    }

    // ---------------------------------------------------------------- state

    /** What the handler's {@link RequestHandler#onHello} returned for this session; null before it. */
    public Object attachment() {
        return attachment;
    }

    public int session() {
        return session;
    }

    /** Whether the handshake is done: the session is open and requests may flow. */
    public boolean hasSession() {
        return open;
    }

    /** The {@link io.remem.protocol.Features} granted to this session. */
    public int features() {
        return features;
    }

    /** A value unique to this session, known to both ends ({@link io.remem.protocol.auth.Transcript#binding}). */
    public byte[] binding() {
        return binding.clone();
    }

    /** Gives the connection its session id, when HELLO arrives; the session opens later, if the handshake succeeds. */
    void assignSessionId() {
        int s;
        do {
            s = ThreadLocalRandom.current().nextInt();
        } while (s == 0);
        session = s;
    }

    /** Opens the session the handshake accepted; returns its id. On the I/O thread, or from a handler's future. */
    int openSession(Object attachment, int grantedFeatures) {
        this.attachment = attachment;
        this.features = grantedFeatures;
        this.open = true;
        ScheduledFuture<?> t = handshakeTimer;
        if (t != null) {
            t.cancel(false);
        }
        return session;
    }

    void bind(byte[] sessionBinding) {
        this.binding = sessionBinding.clone();
    }

    public boolean isOpen() {
        return !closed && ctx != null && ctx.channel().isActive();
    }

    /** The other end's address, for messages. */
    public String remote() {
        if ("?".equals(remoteName) && ctx != null && ctx.channel().remoteAddress() != null) {
            remoteName = ctx.channel().remoteAddress().toString().replaceFirst("^.*/", "");
        }
        return remoteName;
    }

    /** Completes when the connection closes, for whatever reason. */
    public CompletableFuture<Peer> closeFuture() {
        return closeFuture;
    }

    /** Number of requests sent and not yet answered. */
    public int inFlight() {
        return pending.size();
    }

    /**
     * Stops this connection for good, as a superseded session: frames already received and not yet processed are
     * dropped, then the channel closes. The future completes once that has happened on the connection's I/O thread,
     * so nothing from it can take effect afterwards. Never blocks, so two I/O threads fencing each other's sessions
     * cannot deadlock.
     */
    public CompletableFuture<Void> fence() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        ChannelHandlerContext c = ctx;
        if (c == null) {
            fenced = true;
            done.complete(null);
            return done;
        }
        c.executor().execute(() -> {
            fenced = true;
            c.close();
            done.complete(null);
        });
        return done;
    }

    /** Closes the connection once what was written to it has been sent (an error answer, say). Any thread. */
    void closeAfterFlush() {
        ChannelHandlerContext c = ctx;
        if (c != null) {
            c.executor().execute(() -> {
                c.flush();
                c.close();
            });
        }
    }

    public void close() {
        ChannelHandlerContext c = ctx;
        if (c != null) {
            c.channel().close();
        } else {
            closed = true;
            closeFuture.complete(this);
        }
    }

    // ---------------------------------------------------------------- Netty callbacks

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        // Set here, not in channelActive: a connect future completes before channelActive runs, and the
        // connecting thread may send its first request in between.
        this.ctx = ctx;
        sweeper = ctx.executor().scheduleAtFixedRate(this::expireCalls, SWEEP_MILLIS, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        SocketAddress remote = ctx.channel().remoteAddress();
        remoteName = remote == null ? "?" : remote.toString().replaceFirst("^.*/", "");
        if (handshakeTimeoutNanos > 0) {
            handshakeTimer = ctx.executor().schedule(() -> {
                if (!open) {
                    log.info("closing connection from {}: no session after {} ms", remoteName,
                            TimeUnit.NANOSECONDS.toMillis(handshakeTimeoutNanos));
                    ctx.close();
                }
            }, handshakeTimeoutNanos, TimeUnit.NANOSECONDS);
        }
        ctx.fireChannelActive();
    }

    /**
     * Backpressure: while the outbound buffer is above its high-water mark, stop reading requests, so a peer that
     * sends requests and never reads the answers stalls only itself, holding at most the buffer's worth of memory.
     */
    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (handler != null) {
            boolean writable = ctx.channel().isWritable();
            ctx.channel().config().setAutoRead(writable);
            if (writable) {
                serveDeferred(ctx);
            }
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf frame = (ByteBuf) msg;
        if (handler != null && isRequest(frame) && (!deferred.isEmpty() || !ctx.channel().isWritable())) {
            // Requests that arrived in the same socket read as one whose answer filled the outbound buffer: they wait,
            // in order, until the peer reads its answers. Stopping reads alone would not stop them.
            deferred.add(frame);
            return;
        }
        reading = true;
        try {
            dispatch(frame);
        } finally {
            frame.release();
        }
    }

    /** Serves deferred requests while the outbound buffer has room. On the I/O thread. */
    private void serveDeferred(ChannelHandlerContext ctx) {
        reading = true;
        try {
            while (!deferred.isEmpty() && ctx.channel().isWritable() && !closed) {
                ByteBuf frame = deferred.poll();
                try {
                    dispatch(frame);
                } finally {
                    frame.release();
                }
            }
        } finally {
            reading = false;
            if (flushPending) {
                flushPending = false;
                ctx.flush();
            }
        }
    }

    private static boolean isRequest(ByteBuf frame) {
        return frame.readableBytes() >= Wire.HEADER_BYTES
                && (frame.getUnsignedShort(frame.readerIndex() + 2) & Wire.FLAG_RESPONSE) == 0;
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        reading = false;
        if (flushPending) {
            flushPending = false;
            ctx.flush();
        }
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closed = true;
        for (ByteBuf f; (f = deferred.poll()) != null; ) {
            f.release();
        }
        if (sweeper != null) {
            sweeper.cancel(false);
        }
        if (handshakeTimer != null) {
            handshakeTimer.cancel(false);
        }
        for (Long id : pending.keySet()) {
            Call<?> call = pending.remove(id);
            if (call != null) {
                call.completeExceptionally(closedError(call.op));
            }
        }
        if (handler != null) {
            try {
                handler.onClose(this);
            } catch (RuntimeException e) {
                log.warn("close handler for {} failed", remoteName, e);
            }
        }
        closeFuture.complete(this);
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof TooLongFrameException) {
            log.warn("closing connection from {}: {}", remoteName, cause.getMessage());
            replyError(0, 0, 0, ErrorCode.TOO_LARGE, open ? "frame exceeds the limit of " + Wire.MAX_FRAME_BYTES + " bytes"
                    : String.valueOf(cause.getMessage()));
        } else if (cause instanceof DecoderException) {
            log.warn("closing connection from {}: {}", remoteName, cause.getMessage());
            replyError(0, 0, 0, ErrorCode.MALFORMED_FRAME, "cannot delimit frames: " + cause.getMessage());
        } else if (cause instanceof IOException) {
            log.debug("connection to {} failed: {}", remoteName, cause.toString());
        } else {
            log.warn("closing connection to {} after an unexpected error", remoteName, cause);
        }
        ctx.flush();
        ctx.close();
    }

    // ---------------------------------------------------------------- inbound dispatch

    private void dispatch(ByteBuf frame) {
        if (fenced) {
            return; // superseded by a newer session of the same client: nothing more from here may take effect
        }
        FrameHeader h;
        try {
            h = header.read(frame);
        } catch (RememException e) {
            rejectAndClose(0, 0, e);
            return;
        }
        try {
            h.validate();
        } catch (RememException e) {
            if (e.code() == ErrorCode.UNKNOWN_OPCODE && !h.isResponse()) {
                // The frame is well delimited, so the connection can go on without it.
                replyError(h.opcodeCode(), h.requestId(), h.session(), e.code(), e.detail());
            } else {
                rejectAndClose(h.opcodeCode(), h.requestId(), e);
            }
            return;
        }
        if (h.isResponse()) {
            complete(h, frame);
        } else {
            serve(h, frame);
        }
    }

    private void serve(FrameHeader h, ByteBuf body) {
        try {
            if (handler == null) {
                throw new RememException(ErrorCode.WRONG_ROLE, "this endpoint does not serve requests");
            }
            if (overLimit > 0) {
                throw new RememException(ErrorCode.OVERLOADED, "this server already holds its limit of " + overLimit
                        + " connections; try again later");
            }
            switch (h.opcode()) {
                case HELLO -> handshake.onHello(h, body);
                case AUTH -> handshake.onAuth(h, body);
                case PING -> {
                    ByteBuf echo = body.retainedSlice();
                    try {
                        reply(h, 0, 0, echo.readableBytes(), echo.readableBytes(), out -> out.writeBytes(echo));
                    } finally {
                        echo.release();
                    }
                }
                default -> {
                    if (!open) {
                        throw new RememException(ErrorCode.NOT_AUTHENTICATED,
                                h.opcode() + " before the session is open: HELLO first");
                    }
                    if (h.session() != session) {
                        throw new RememException(ErrorCode.SESSION_MISMATCH,
                                "frame names session " + h.session() + " on a connection whose session is " + session);
                    }
                    handler.onRequest(this, h, body);
                }
            }
        } catch (AuthenticationFailure e) {
            rejectAndClose(h.opcodeCode(), h.requestId(), e, e.reason());
        } catch (RememException e) {
            if (e.code() == ErrorCode.OVERLOADED || !open && (h.opcode() == Opcode.HELLO || h.opcode() == Opcode.AUTH)) {
                rejectAndClose(h.opcodeCode(), h.requestId(), e, e.detail()); // a failed handshake ends the connection
            } else {
                replyError(h.opcodeCode(), h.requestId(), h.session(), e.code(), e.detail());
            }
        } catch (RuntimeException e) {
            log.warn("request {} from {} failed", h, remoteName, e);
            replyError(h.opcodeCode(), h.requestId(), h.session(), ErrorCode.INTERNAL, e.toString());
        }
    }

    private void complete(FrameHeader h, ByteBuf body) {
        Call<?> call = pending.remove(h.requestId());
        if (call == null) {
            log.debug("dropping response {} from {}: no such request in flight (timed out?)", h, remoteName);
            return;
        }
        call.finish(h, body);
    }

    private void rejectAndClose(int opcodeCode, long requestId, RememException e) {
        rejectAndClose(opcodeCode, requestId, e, e.getMessage());
    }

    /** Answers with {@code e} and closes; {@code why} goes only to this side's log (it may say more than the wire may). */
    private void rejectAndClose(int opcodeCode, long requestId, RememException e, String why) {
        if (e.code() == ErrorCode.AUTHENTICATION_FAILED) {
            AuthLog.refused(log, remote(), why);
        } else {
            log.warn("closing connection from {}: {}", remoteName, why);
        }
        replyError(opcodeCode, requestId, 0, e.code(), e.detail());
        ChannelHandlerContext c = ctx;
        if (c != null) {
            c.flush();
            c.close();
        }
    }

    private void expireCalls() {
        if (frameTimeoutNanos > 0) {
            closeStalledFrame();
        }
        if (pending.isEmpty()) {
            return;
        }
        long now = System.nanoTime();
        for (Map.Entry<Long, Call<?>> e : pending.entrySet()) {
            Call<?> call = e.getValue();
            if (now - call.deadlineNanos > 0) {
                fail(e.getKey(), new RememException(ErrorCode.TIMEOUT,
                        call.op + " to " + remoteName + " got no response in time"));
            }
        }
    }

    /** A frame begun and not finished within the frame timeout: a slow or stuck sender holding a buffer open. */
    private void closeStalledFrame() {
        ChannelHandlerContext c = ctx;
        FrameDecoder d = c == null ? null : c.pipeline().get(FrameDecoder.class);
        long since = d == null ? 0 : d.partialSinceNanos();
        if (since != 0 && System.nanoTime() - since > frameTimeoutNanos) {
            log.info("closing connection from {}: a frame has been arriving for more than {} ms", remoteName,
                    TimeUnit.NANOSECONDS.toMillis(frameTimeoutNanos));
            c.close();
        }
    }

    private void fail(long id, RememException error) {
        Call<?> call = pending.remove(id);
        if (call != null) {
            call.completeExceptionally(error);
        }
    }

    private RememException closedError(Opcode op) {
        return new RememException(ErrorCode.CONNECTION_CLOSED, op + ": connection to " + remote() + " is closed");
    }

    /** An outgoing request waiting for its response. */
    private static final class Call<T> extends CompletableFuture<T> {
        final Opcode op;
        final ResponseReader<T> reader;
        final long deadlineNanos;

        Call(Opcode op, ResponseReader<T> reader, long deadlineNanos) {
            this.op = op;
            this.reader = reader;
            this.deadlineNanos = deadlineNanos;
        }

        void finish(FrameHeader h, ByteBuf body) {
            if (h.status() != 0) {
                String message;
                try {
                    message = Bodies.readString(body, "error.message");
                } catch (RememException e) {
                    message = "(unreadable message)";
                }
                completeExceptionally(new RememException(ErrorCode.ofCode(h.status()), message));
                return;
            }
            T result;
            try {
                result = reader.read(h, body);
            } catch (RuntimeException e) {
                completeExceptionally(e);
                return;
            }
            complete(result);
        }
    }
}
