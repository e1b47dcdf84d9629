package io.remem.bench.jmh;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * The network floor: a blocking Java socket client and an echo thread on loopback. A 16-byte request is
 * answered with {@code responseBytes} bytes, as a block fetch is.
 */
public final class PingPong implements AutoCloseable {
    private final ServerSocketChannel server;
    private final SocketChannel client;
    private final Thread echo;
    private final ByteBuffer request = ByteBuffer.allocateDirect(16);
    private final ByteBuffer response;

    private PingPong(ServerSocketChannel server, SocketChannel client, Thread echo, int responseBytes) {
        this.server = server;
        this.client = client;
        this.echo = echo;
        this.response = ByteBuffer.allocateDirect(responseBytes);
    }

    public static PingPong start(int responseBytes) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
        Thread echo = Thread.ofPlatform().daemon().name("ping-pong-echo").start(() -> {
            try (SocketChannel peer = server.accept()) {
                peer.setOption(StandardSocketOptions.TCP_NODELAY, true);
                ByteBuffer in = ByteBuffer.allocateDirect(16);
                ByteBuffer out = ByteBuffer.allocateDirect(responseBytes);
                while (true) {
                    in.clear();
                    readFully(peer, in);
                    out.clear();
                    while (out.hasRemaining()) {
                        peer.write(out);
                    }
                }
            } catch (IOException e) {
                // closed
            }
        });
        SocketChannel client = SocketChannel.open(server.getLocalAddress());
        client.setOption(StandardSocketOptions.TCP_NODELAY, true);
        return new PingPong(server, client, echo, responseBytes);
    }

    /** One request and its full response; returns a byte of it so the work cannot be optimized away. */
    public long roundTrip() throws IOException {
        request.clear();
        while (request.hasRemaining()) {
            client.write(request);
        }
        response.clear();
        readFully(client, response);
        return response.get(0);
    }

    private static void readFully(SocketChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            if (ch.read(buf) < 0) {
                throw new EOFException();
            }
        }
    }

    @Override
    public void close() throws IOException {
        client.close();
        server.close();
        echo.interrupt();
    }
}
