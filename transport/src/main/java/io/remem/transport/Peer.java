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
import io.remem.protocol.Hello;
import io.remem.protocol.HelloAck;
import io.remem.protocol.Opcode;
import io.remem.protocol.RememException;
import io.remem.protocol.Role;
import io.remem.protocol.Wire;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
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
    private final FrameHeader header = new FrameHeader();
    private final Map<Long, Call<?>> pending = new ConcurrentHashMap<>();
    private final AtomicLong nextRequestId = new AtomicLong(1);
    private final CompletableFuture<Peer> closeFuture = new CompletableFuture<>();

    private volatile ChannelHandlerContext ctx;
    private volatile int session;
    private volatile Object attachment;
    private volatile boolean closed;
    private volatile String remoteName = "?";
    private volatile boolean fenced;
    /** True while this peer's own channelRead runs, so replies can wait for channelReadComplete's flush. */
    private boolean reading;
    private boolean flushPending;
    private ScheduledFuture<?> sweeper;

    /**
     * @param handler     serves inbound requests; {@code null} if this end only sends requests
     * @param localName   how this end introduces itself in HELLO responses
     * @param callTimeout how long an outgoing request may wait for its response by default
     */
    Peer(RequestHandler handler, String localName, Duration callTimeout) {
        this.handler = handler;
        this.localName = localName;
        this.defaultTimeoutNanos = callTimeout.toNanos();
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

    /** Opens a session on the other end (client side of the handshake). */
    public HelloAck hello(Role role, String tenant) {
        HelloAck ack = await(call(Opcode.HELLO, 0, 0, 0, 64,
                out -> new Hello(Wire.VERSION, role, tenant).encode(out),
                (h, body) -> HelloAck.decode(body)));
        if (ack.version() != Wire.VERSION) {
            close();
            throw new RememException(ErrorCode.UNSUPPORTED_VERSION,
                    remoteName + " answered with protocol version " + ack.version() + ", this side speaks " + Wire.VERSION);
        }
        session = ack.session();
        return ack;
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
        } catch (java.util.concurrent.ExecutionException e) {
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
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf frame = (ByteBuf) msg;
        reading = true;
        try {
            dispatch(frame);
        } finally {
            frame.release();
        }
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
        if (sweeper != null) {
            sweeper.cancel(false);
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
            replyError(0, 0, 0, ErrorCode.TOO_LARGE, "frame exceeds the limit of " + Wire.MAX_FRAME_BYTES + " bytes");
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
            switch (h.opcode()) {
                case HELLO -> openSession(h, body);
                case PING -> {
                    ByteBuf echo = body.retainedSlice();
                    try {
                        reply(h, 0, 0, echo.readableBytes(), echo.readableBytes(), out -> out.writeBytes(echo));
                    } finally {
                        echo.release();
                    }
                }
                default -> {
                    if (session == 0) {
                        throw new RememException(ErrorCode.NOT_AUTHENTICATED,
                                h.opcode() + " before HELLO: open a session first");
                    }
                    if (h.session() != session) {
                        throw new RememException(ErrorCode.SESSION_MISMATCH,
                                "frame names session " + h.session() + " on a connection whose session is " + session);
                    }
                    handler.onRequest(this, h, body);
                }
            }
        } catch (RememException e) {
            replyError(h.opcodeCode(), h.requestId(), h.session(), e.code(), e.detail());
        } catch (RuntimeException e) {
            log.warn("request {} from {} failed", h, remoteName, e);
            replyError(h.opcodeCode(), h.requestId(), h.session(), ErrorCode.INTERNAL, e.toString());
        }
    }

    private void openSession(FrameHeader h, ByteBuf body) {
        if (session != 0) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "this connection already has session " + session);
        }
        Hello hello = Hello.decode(body);
        if (hello.version() < Wire.VERSION) {
            throw new RememException(ErrorCode.UNSUPPORTED_VERSION,
                    "client speaks protocol version " + hello.version() + "; this server needs " + Wire.VERSION);
        }
        int s;
        do {
            s = ThreadLocalRandom.current().nextInt();
        } while (s == 0);
        session = s; // before onHello, so the handler can index sessions by id
        Object accepted;
        try {
            accepted = handler.onHello(this, hello);
        } catch (RuntimeException e) {
            session = 0;
            throw e;
        }
        HelloAck ack = new HelloAck(Wire.VERSION, s, localName);
        if (accepted instanceof CompletableFuture<?> later) {
            // The handler needs to finish something first (fencing an old session); answer when it has.
            Reply reply = replyLater(h);
            later.whenComplete((value, error) -> {
                if (error == null) {
                    attachment = value;
                    reply.send(64, ack::encode);
                } else {
                    session = 0;
                    Throwable cause = error instanceof java.util.concurrent.CompletionException ce && ce.getCause() != null
                            ? ce.getCause() : error;
                    reply.fail(cause instanceof RememException re ? re
                            : new RememException(ErrorCode.INTERNAL, String.valueOf(cause)));
                }
            });
            return;
        }
        attachment = accepted;
        reply(h, 0, 0, 0, 64, ack::encode);
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
        log.warn("closing connection from {}: {}", remoteName, e.getMessage());
        replyError(opcodeCode, requestId, 0, e.code(), e.detail());
        ChannelHandlerContext c = ctx;
        if (c != null) {
            c.flush();
            c.close();
        }
    }

    private void expireCalls() {
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
