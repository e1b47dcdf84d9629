package io.remem.testkit;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.remem.protocol.Bodies;
import io.remem.protocol.FrameHeader;
import io.remem.protocol.Frames;
import io.remem.protocol.Hello;
import io.remem.protocol.HelloReply;
import io.remem.protocol.Opcode;
import io.remem.protocol.Role;
import io.remem.protocol.Wire;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.security.SecureRandom;
import java.util.concurrent.locks.LockSupport;
import java.time.Duration;

/**
 * A hand-driven remem client over a plain, non-blocking {@link SocketChannel}: sends exactly the bytes a test
 * crafts and reads responses with a deadline, so a misbehaving server fails the test instead of hanging it.
 */
public final class RawClient implements AutoCloseable {
    public static final Duration WAIT = Duration.ofSeconds(5);
    private static final SecureRandom RANDOM = new SecureRandom();

    /** One frame as read off the wire. */
    public record Frame(FrameHeader header, byte[] body) {
        public String errorMessage() {
            return Bodies.readString(Unpooled.wrappedBuffer(body), "error.message");
        }
    }

    private final SocketChannel channel;
    private final Selector selector;

    private RawClient(SocketChannel channel, Selector selector) {
        this.channel = channel;
        this.selector = selector;
    }

    public static RawClient connect(int port) throws IOException {
        return connect(port, 0);
    }

    /**
     * As above with a receive buffer of {@code receiveBufferBytes} (0 for the system's default), set before connecting
     * so that the window it advertises stays small: a client that does not read then holds little of the server's
     * output in its own kernel.
     */
    public static RawClient connect(int port, int receiveBufferBytes) throws IOException {
        SocketChannel ch = SocketChannel.open();
        if (receiveBufferBytes > 0) {
            ch.setOption(StandardSocketOptions.SO_RCVBUF, receiveBufferBytes);
        }
        ch.connect(new InetSocketAddress("127.0.0.1", port));
        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        ch.configureBlocking(false);
        Selector selector = Selector.open();
        ch.register(selector, SelectionKey.OP_READ);
        return new RawClient(ch, selector);
    }

    public void send(byte[] bytes) throws IOException {
        send(ByteBuffer.wrap(bytes));
    }

    public void send(ByteBuf frame) throws IOException {
        try {
            send(frame.nioBuffer());
        } finally {
            frame.release();
        }
    }

    public void send(ByteBuffer buf) throws IOException {
        send(buf, WAIT);
    }

    /**
     * Sends all of {@code buf}, waiting up to {@code within} for the server to take it: longer than {@link #WAIT} for a
     * test whose server is meant to stop reading for a while. Safe on another thread than the one reading.
     */
    public void send(ByteBuffer buf, Duration within) throws IOException {
        long deadline = System.nanoTime() + within.toNanos();
        while (buf.hasRemaining()) {
            if (channel.write(buf) == 0) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("could not send within " + within);
                }
                LockSupport.parkNanos(100_000); // the server's window is full: let it drain instead of spinning
            }
        }
    }

    /** A complete request frame with an arbitrary body. */
    public static ByteBuf request(Opcode op, long requestId, int session, long slabId, long offset, int length,
                                  byte[] body) {
        ByteBuf out = Unpooled.buffer();
        int start = Frames.beginRequest(out, op, requestId, session, slabId, offset, length);
        out.writeBytes(body);
        Frames.finish(out, start);
        return out;
    }

    /** Sends HELLO presenting {@code credential} (a token; the test servers do not check it) and nothing else. */
    public void sendHello(int version, Role role, String principal, byte[] credential, long requestId)
            throws IOException {
        byte[] nonce = new byte[Hello.NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        ByteBuf body = Unpooled.buffer();
        new Hello(version, role, principal, "", 0, 0, nonce, credential).encode(body);
        byte[] bytes = new byte[body.readableBytes()];
        body.readBytes(bytes);
        send(request(Opcode.HELLO, requestId, 0, 0, 0, 0, bytes));
    }

    /**
     * A v3 HELLO body with a fresh nonce. {@code keyId} names a secret to prove (empty when presenting a token);
     * {@code credential} is the token (empty for none).
     */
    public static byte[] helloBody(Role role, String principal, String keyId, int supersedes, int features,
                                   byte[] credential) {
        byte[] nonce = new byte[Hello.NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        ByteBuf body = Unpooled.buffer();
        new Hello(Wire.VERSION, role, principal, keyId, supersedes, features, nonce, credential).encode(body);
        byte[] bytes = new byte[body.readableBytes()];
        body.readBytes(bytes);
        return bytes;
    }

    /** Sends HELLO and returns the server's answer as it came, error or not. */
    public Frame sendHello(Role role, String principal, String keyId, int features, byte[] credential, long requestId)
            throws IOException {
        send(request(Opcode.HELLO, requestId, 0, 0, 0, 0, helloBody(role, principal, keyId, 0, features, credential)));
        Frame f = readFrame();
        if (f == null) {
            throw new AssertionError("server closed the connection instead of answering HELLO");
        }
        return f;
    }

    /** Sends HELLO presenting {@code credential}, a token, and returns the server's answer as it came. */
    public Frame sendHello(Role role, String principal, int features, byte[] credential, long requestId)
            throws IOException {
        return sendHello(role, principal, "", features, credential, requestId);
    }

    /** Sends HELLO with {@code credential}, which must be accepted at once; returns the acceptance. */
    public HelloReply.Accepted hello(Role role, String principal, int features, byte[] credential, long requestId)
            throws IOException {
        Frame f = sendHello(role, principal, features, credential, requestId);
        if (f.header().status() != 0) {
            throw new AssertionError("HELLO refused: " + f.header() + " " + f.errorMessage());
        }
        HelloReply reply = HelloReply.decode(Unpooled.wrappedBuffer(f.body()));
        if (!(reply instanceof HelloReply.Accepted accepted)) {
            throw new AssertionError("a token HELLO was answered with " + reply + " instead of an acceptance");
        }
        return accepted;
    }

    /** Sends one request and reads the answer, which must come before the server closes the connection. */
    public Frame roundTrip(Opcode op, long requestId, int session, long slabId, long offset, int length, byte[] body)
            throws IOException {
        send(request(op, requestId, session, slabId, offset, length, body));
        Frame f = readFrame();
        if (f == null) {
            throw new AssertionError("server closed the connection instead of answering " + op);
        }
        return f;
    }

    /** Reads the next frame, or returns null if the server closed the connection cleanly first. */
    public Frame readFrame() throws IOException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        ByteBuffer len = ByteBuffer.allocate(Wire.LENGTH_FIELD_BYTES);
        if (!readFully(len, deadline, true)) {
            return null;
        }
        int length = len.getInt(0);
        if (length < Wire.HEADER_BYTES || length > Wire.MAX_FRAME_BYTES) {
            throw new AssertionError("server sent a frame length of " + length);
        }
        ByteBuffer frame = ByteBuffer.allocate(length);
        readFully(frame, deadline, false);
        frame.flip();
        FrameHeader h = new FrameHeader().read(frame.duplicate().limit(Wire.HEADER_BYTES));
        byte[] body = new byte[length - Wire.HEADER_BYTES];
        frame.position(Wire.HEADER_BYTES).get(body);
        return new Frame(h, body);
    }

    /** True if the server closes the connection (a read returns -1) before the deadline and without more data. */
    public boolean awaitEndOfStream() throws IOException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        ByteBuffer one = ByteBuffer.allocate(1);
        while (true) {
            int n;
            try {
                n = channel.read(one);
            } catch (SocketException reset) {
                return true; // closed with our bytes still unread on its side: a reset instead of a FIN, but closed
            }
            if (n < 0) {
                return true;
            }
            if (n > 0) {
                throw new AssertionError("expected the server to close the connection, but it sent more data");
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            selector.select(Math.max(1, left / 1_000_000));
            selector.selectedKeys().clear();
        }
    }

    private boolean readFully(ByteBuffer buf, long deadline, boolean eofAllowedAtStart) throws IOException {
        while (buf.hasRemaining()) {
            int n = channel.read(buf);
            if (n < 0) {
                if (eofAllowedAtStart && buf.position() == 0) {
                    return false;
                }
                throw new EOFException("server closed the connection in the middle of a frame");
            }
            if (n == 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("no complete frame from the server within " + WAIT);
                }
                selector.select(Math.max(1, left / 1_000_000));
                selector.selectedKeys().clear();
            }
        }
        return true;
    }

    @Override
    public void close() throws IOException {
        selector.close();
        channel.close();
    }
}
