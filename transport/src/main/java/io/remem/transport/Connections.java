package io.remem.transport;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.RememException;
import io.remem.protocol.Wire;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.function.Supplier;

/** Opens remem connections: outgoing ones with {@link #connect}, incoming ones with {@link #listen}. */
public final class Connections {
    private Connections() {}

    /**
     * Connects to {@code host:port}. The returned peer has no session yet; call {@link Peer#hello}.
     *
     * @param handler serves requests the other end sends on this connection, or {@code null}
     */
    public static Peer connect(EventLoops loops, String host, int port, RequestHandler handler, String localName,
                               Duration connectTimeout, Duration callTimeout) {
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
                        addFraming(ch.pipeline(), peer);
                    }
                });
        ChannelFuture f = b.connect(host, port).awaitUninterruptibly();
        if (!f.isSuccess()) {
            Throwable cause = f.cause();
            throw new RememException(ErrorCode.NODE_UNAVAILABLE,
                    "cannot connect to " + host + ":" + port + ": " + (cause == null ? "timed out" : cause.getMessage()), cause);
        }
        return peer;
    }

    /** Accepts connections on {@code host:port} (port 0 picks a free one); each gets a handler from {@code handlers}. */
    public static Listener listen(EventLoops loops, String host, int port, Supplier<RequestHandler> handlers,
                                  String localName, Duration callTimeout) {
        ChannelGroup accepted = new DefaultChannelGroup("accepted", GlobalEventExecutor.INSTANCE);
        ServerBootstrap b = new ServerBootstrap()
                .group(loops.group())
                .channel(loops.serverChannelType())
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        accepted.add(ch);
                        addFraming(ch.pipeline(), new Peer(handlers.get(), localName, callTimeout));
                    }
                });
        ChannelFuture f = b.bind(host, port).awaitUninterruptibly();
        if (!f.isSuccess()) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT,
                    "cannot listen on " + host + ":" + port + ": " + f.cause().getMessage(), f.cause());
        }
        return new Listener(f.channel(), accepted);
    }

    private static void addFraming(ChannelPipeline p, Peer peer) {
        // failFast: refuse an oversized frame as soon as its length prefix arrives, before buffering it.
        p.addLast("frames", new LengthFieldBasedFrameDecoder(
                Wire.MAX_FRAME_BYTES + Wire.LENGTH_FIELD_BYTES, 0, Wire.LENGTH_FIELD_BYTES, 0,
                Wire.LENGTH_FIELD_BYTES, true));
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

        @Override
        public void close() {
            channel.close().awaitUninterruptibly();
            accepted.close().awaitUninterruptibly();
        }
    }
}
