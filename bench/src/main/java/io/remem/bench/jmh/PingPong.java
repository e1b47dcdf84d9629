package io.remem.bench.jmh;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * The network floor: a blocking Java socket client and an echo server on loopback. A 16-byte request is
 * answered with {@code responseBytes} bytes, as a block fetch is. The echo runs on a thread of this JVM
 * ({@link #start}) or in a JVM of its own (reached with {@link #connect}), as a memory node does.
 */
public final class PingPong implements AutoCloseable {
    private final ServerSocketChannel server; // null when the echo runs in another JVM
    private final SocketChannel client;
    private final Thread echo;
    private final ByteBuffer request = ByteBuffer.allocateDirect(16);
    private final ByteBuffer response;
    private final InputStream probe;

    private PingPong(ServerSocketChannel server, SocketChannel client, Thread echo, int responseBytes) throws IOException {
        this.server = server;
        this.client = client;
        this.probe = client.socket().getInputStream();
        this.echo = echo;
        this.response = ByteBuffer.allocateDirect(responseBytes);
    }

    /** A ping-pong against an echo thread of this JVM. */
    public static PingPong start(int responseBytes) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
        Thread echo = Thread.ofPlatform().daemon().name("ping-pong-echo").start(() -> {
            try (SocketChannel peer = server.accept()) {
                echo(peer, responseBytes);
            } catch (IOException e) {
                // closed
            }
        });
        return new PingPong(server, open(server.getLocalAddress()), echo, responseBytes);
    }

    /** A ping-pong against an echo server elsewhere, such as {@code EchoServer} in a child JVM. */
    public static PingPong connect(SocketAddress echoServer, int responseBytes) throws IOException {
        return new PingPong(null, open(echoServer), null, responseBytes);
    }

    private static SocketChannel open(SocketAddress address) throws IOException {
        SocketChannel client = SocketChannel.open(address);
        client.setOption(StandardSocketOptions.TCP_NODELAY, true);
        return client;
    }

    /** Answers every 16-byte request on {@code peer} with {@code responseBytes} bytes until the peer closes. */
    public static void echo(SocketChannel peer, int responseBytes) throws IOException {
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
    }

    /** One request and its full response; returns a byte of it so the work cannot be optimized away. */
    public long roundTrip() throws IOException {
        sendRequest();
        response.clear();
        readFully(client, response);
        return response.get(0);
    }

    /**
     * As {@link #roundTrip}, but spins on the socket for up to {@code spinNanos} before blocking for the answer, as a
     * remem link does when it may: the floor for a client that spins.
     */
    public long roundTripSpinning(long spinNanos) throws IOException {
        sendRequest();
        long deadline = System.nanoTime() + spinNanos;
        while (probe.available() == 0 && System.nanoTime() - deadline < 0) {
            Thread.onSpinWait();
        }
        response.clear();
        readFully(client, response);
        return response.get(0);
    }

    private void sendRequest() throws IOException {
        request.clear();
        while (request.hasRemaining()) {
            client.write(request);
        }
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
        if (server != null) {
            server.close();
            echo.interrupt();
        }
    }
}
