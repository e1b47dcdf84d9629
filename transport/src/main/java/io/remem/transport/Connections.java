package io.remem.transport;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.RememException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/** Opens remem connections: outgoing ones with {@link #connect}, incoming ones with {@link #listen}. */
public final class Connections {
    private static final Logger log = LoggerFactory.getLogger(Connections.class);

    private Connections() {}

    /**
     * Connects to {@code host:port}, over TLS if {@code tls} is not null (waiting for the TLS handshake). The returned
     * peer has no session yet; call {@link Peer#hello}.
     *
     * @param handler serves requests the other end sends on this connection, or {@code null}
     */
    public static Peer connect(EventLoops loops, String host, int port, RequestHandler handler, String localName,
                               Duration connectTimeout, Duration callTimeout, ClientTls tls) {
        Peer peer = new Peer(handler, localName, callTimeout);
        Bootstrap b = new Bootstrap()
                .group(loops.group())
                .channel(loops.channelType())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()))
                .handler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (tls != null) {
                            ch.pipeline().addLast("tls", tls.netty().newHandler(ch.alloc(), host, port));
                        }
                        addFraming(ch.pipeline(), peer, Integer.MAX_VALUE);
                    }
                });
        ChannelFuture f = b.connect(host, port).awaitUninterruptibly();
        if (!f.isSuccess()) {
            Throwable cause = f.cause();
            throw new RememException(ErrorCode.NODE_UNAVAILABLE,
                    "cannot connect to " + host + ":" + port + ": " + (cause == null ? "timed out" : cause.getMessage()), cause);
        }
        if (tls != null) {
            Future<Channel> handshake = f.channel().pipeline().get(SslHandler.class).handshakeFuture();
            if (!handshake.awaitUninterruptibly(connectTimeout.toMillis(), TimeUnit.MILLISECONDS) || !handshake.isSuccess()) {
                f.channel().close();
                Throwable cause = handshake.cause();
                throw new RememException(ErrorCode.NODE_UNAVAILABLE, "TLS handshake with " + host + ":" + port
                        + " failed: " + (cause == null ? "timed out" : TlsErrors.describe(cause)), cause);
            }
        }
        return peer;
    }

    /** As above, in plain TCP. */
    public static Peer connect(EventLoops loops, String host, int port, RequestHandler handler, String localName,
                               Duration connectTimeout, Duration callTimeout) {
        return connect(loops, host, port, handler, localName, connectTimeout, callTimeout, null);
    }

    /**
     * Accepts connections on {@code host:port} (port 0 picks a free one), each served by a handler from {@code
     * handlers}, within {@code limits}, over TLS if {@code tls} (a server context) is not null.
     */
    public static Listener listen(EventLoops loops, String host, int port, Supplier<RequestHandler> handlers,
                                  String localName, Duration callTimeout, ServerLimits limits, SslContext tls) {
        ChannelGroup accepted = new DefaultChannelGroup("accepted", GlobalEventExecutor.INSTANCE);
        AtomicInteger open = new AtomicInteger();
        ServerBootstrap b = new ServerBootstrap()
                .group(loops.group())
                .channel(loops.serverChannelType())
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
                        new WriteBufferWaterMark(limits.maxPendingBytes() / 2, limits.maxPendingBytes()))
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        accepted.add(ch);
                        boolean over = open.incrementAndGet() > limits.maxConnections();
                        ch.closeFuture().addListener(done -> open.decrementAndGet());
                        if (over) {
                            log.warn("connection from {} exceeds the limit of {} connections; refusing it",
                                    ch.remoteAddress(), limits.maxConnections());
                        }
                        if (tls != null) {
                            ch.pipeline().addLast("tls", tls.newHandler(ch.alloc()));
                        }
                        Peer peer = new Peer(handlers.get(), localName, callTimeout,
                                over ? Duration.ofSeconds(1) : limits.handshakeTimeout(), limits.frameTimeout(),
                                over ? limits.maxConnections() : 0);
                        addFraming(ch.pipeline(), peer, limits.preAuthFrameBytes());
                    }
                });
        ChannelFuture f = b.bind(host, port).awaitUninterruptibly();
        if (!f.isSuccess()) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT,
                    "cannot listen on " + host + ":" + port + ": " + f.cause().getMessage(), f.cause());
        }
        return new Listener(f.channel(), accepted);
    }

    private static void addFraming(ChannelPipeline p, Peer peer, int preAuthLimit) {
        p.addLast("frames", new FrameDecoder(peer, preAuthLimit));
        p.addLast("peer", peer);
    }

    /** A bound server socket and the connections it accepted. Closing it closes both. */
    public static final class Listener implements AutoCloseable {
        private final Channel channel;
        private final ChannelGroup accepted;

        Listener(Channel channel, ChannelGroup accepted) {
            this.channel = channel;
            this.accepted = accepted;
        }

        public InetSocketAddress address() {
            return (InetSocketAddress) channel.localAddress();
        }

        public int port() {
            return address().getPort();
        }

        /** Connections open now. */
        public int connections() {
            return accepted.size();
        }

        @Override
        public void close() {
            channel.close().awaitUninterruptibly();
            accepted.close().awaitUninterruptibly();
        }
    }
}
