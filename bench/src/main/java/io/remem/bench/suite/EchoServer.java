package io.remem.bench.suite;

import io.remem.bench.jmh.PingPong;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * The network floor's server in a JVM of its own, as a memory node is: answers each 16-byte request with
 * {@code args[0]} bytes, on a platform thread per connection. Prints its port after {@link ChildJvm#READY} and
 * serves until stdin closes.
 */
public final class EchoServer {
    private EchoServer() {}

    public static void main(String[] args) throws IOException {
        int responseBytes = Integer.parseInt(args[0]);
        try (ServerSocketChannel server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0))) {
            Thread.ofPlatform().daemon().name("echo-acceptor").start(() -> {
                while (true) {
                    SocketChannel peer;
                    try {
                        peer = server.accept();
                    } catch (IOException e) {
                        return; // closed
                    }
                    Thread.ofPlatform().daemon().name("echo").start(() -> {
                        try (peer) {
                            PingPong.echo(peer, responseBytes);
                        } catch (IOException e) {
                            // the client went away
                        }
                    });
                }
            });
            System.out.println(ChildJvm.READY + ((InetSocketAddress) server.getLocalAddress()).getPort());
            System.out.flush();
            while (System.in.read() >= 0) {
                // the parent holds stdin open for as long as it wants the server
            }
        }
    }
}
