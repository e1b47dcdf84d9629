package io.remem.transport;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.util.concurrent.TimeUnit;

/**
 * The I/O threads of one remem process, on Linux epoll where Netty's native library loads and on Java NIO
 * elsewhere. Set {@code -Dremem.transport=nio} to force NIO.
 */
public final class EventLoops implements AutoCloseable {
    private final EventLoopGroup group;
    private final boolean epoll;

    private EventLoops(EventLoopGroup group, boolean epoll) {
        this.group = group;
        this.epoll = epoll;
    }

    /** Starts {@code threads} I/O threads named after {@code name}; 0 means Netty's default (2 per core). */
    public static EventLoops create(String name, int threads) {
        boolean useEpoll = !"nio".equals(System.getProperty("remem.transport")) && Epoll.isAvailable();
        IoHandlerFactory io = useEpoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        var group = new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true), io);
        return new EventLoops(group, useEpoll);
    }

    public EventLoopGroup group() {
        return group;
    }

    Class<? extends Channel> channelType() {
        return epoll ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    Class<? extends ServerChannel> serverChannelType() {
        return epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    /** "epoll" or "nio". */
    public String kind() {
        return epoll ? "epoll" : "nio";
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
