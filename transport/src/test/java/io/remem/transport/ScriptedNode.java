package io.remem.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.FrameHeader;
import io.remem.protocol.Frames;
import io.remem.protocol.HelloAck;
import io.remem.protocol.Opcode;
import io.remem.protocol.Role;
import io.remem.protocol.Wire;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A memory node played by the test, for one {@link DirectLink}: a plain server socket that answers HELLO and then
 * sends exactly the bytes the test scripts, when it says so, including frames cut off mid-body. Requests are read
 * by a background thread into a queue; every wait has a deadline, so a broken link fails the test instead of
 * hanging it.
 */
final class ScriptedNode implements AutoCloseable {
    static final Duration WAIT = Duration.ofSeconds(5);

    /** One request as read off the wire. */
    record Request(FrameHeader header, byte[] body) {
        Opcode op() {
            return header.opcode();
        }
    }

    /** Put in the queue when the link closes its end of the connection. */
    private static final Request END = new Request(null, null);

    private final ServerSocket server;
    private final BlockingQueue<Request> requests = new LinkedBlockingQueue<>();
    private volatile Socket socket;
    private OutputStream out;

    ScriptedNode() throws IOException {
        server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        server.setSoTimeout((int) WAIT.toMillis());
    }

    /** Connects a link with {@code callTimeout} to this node and opens its session. */
    DirectLink connect(Duration callTimeout) throws Exception {
        DirectLink link = DirectLink.connect(server.getInetAddress().getHostAddress(), server.getLocalPort(),
                Duration.ofSeconds(2), callTimeout);
        try {
            CompletableFuture<HelloAck> hello = CompletableFuture.supplyAsync(() -> link.hello(Role.CLIENT, "t"));
            socket = server.accept();
            socket.setTcpNoDelay(true);
            out = socket.getOutputStream();
            DataInputStream in = new DataInputStream(socket.getInputStream());
            Thread.ofPlatform().daemon().name("scripted-node-reader").start(() -> readRequests(in));
            Request h = nextRequest();
            if (h.op() != Opcode.HELLO) {
                throw new AssertionError("expected HELLO, got " + h.header());
            }
            ByteBuf body = Unpooled.buffer();
            new HelloAck(Wire.VERSION, 7, "scripted").encode(body);
            send(response(h, bytesOf(body)));
            Await.result(hello, WAIT);
            return link;
        } catch (Exception | AssertionError e) {
            link.close();
            throw e;
        }
    }

    private void readRequests(DataInputStream in) {
        try {
            while (true) {
                int length = in.readInt();
                byte[] frame = new byte[length];
                in.readFully(frame);
                FrameHeader h = new FrameHeader().read(ByteBuffer.wrap(frame, 0, Wire.HEADER_BYTES));
                byte[] body = new byte[length - Wire.HEADER_BYTES];
                System.arraycopy(frame, Wire.HEADER_BYTES, body, 0, body.length);
                requests.add(new Request(h, body));
            }
        } catch (IOException e) {
            requests.add(END); // end of stream, reset, or closed by the test
        }
    }

    /** The next request, or null if none comes within {@code within} or the link closes the connection first. */
    Request pollRequest(Duration within) throws InterruptedException {
        Request r = requests.poll(within.toMillis(), TimeUnit.MILLISECONDS);
        if (r == END) {
            requests.add(END); // stays closed
            return null;
        }
        return r;
    }

    /** The next request; fails the test if none comes within {@link #WAIT}. */
    Request nextRequest() throws InterruptedException {
        Request r = pollRequest(WAIT);
        if (r == null) {
            throw new AssertionError("the link sent no request within " + WAIT + " (or closed the connection)");
        }
        return r;
    }

    /** A complete success response to {@code request}: header (length prefix included) and {@code body}. */
    static byte[] response(Request request, byte[] body) {
        ByteBuf out = Unpooled.buffer();
        int start = Frames.beginResponse(out, request.header(), request.header().slabId(), request.header().offset(),
                body.length);
        out.writeBytes(body);
        Frames.finish(out, start);
        return bytesOf(out);
    }

    /** A complete error response to {@code request}, as a node sends for a refused request. */
    static byte[] errorResponse(Request request, ErrorCode code, String message) {
        ByteBuf out = Unpooled.buffer();
        Frames.writeError(out, request.header().opcodeCode(), request.header().requestId(), request.header().session(),
                code, message);
        return bytesOf(out);
    }

    /** Sends the whole of {@code bytes}. */
    void send(byte[] bytes) throws IOException {
        send(bytes, 0, bytes.length);
    }

    /** Sends {@code bytes[from, to)}: a frame can be sent in parts, or only in part. */
    void send(byte[] bytes, int from, int to) throws IOException {
        out.write(bytes, from, to - from);
        out.flush();
    }

    /** Ends the node's side of the stream (the link reads end-of-stream), leaving the other direction open. */
    void shutdownOutput() throws IOException {
        socket.shutdownOutput();
    }

    private static byte[] bytesOf(ByteBuf b) {
        byte[] bytes = new byte[b.readableBytes()];
        b.readBytes(bytes);
        b.release();
        return bytes;
    }

    @Override
    public void close() throws IOException {
        Socket s = socket;
        if (s != null) {
            s.close();
        }
        server.close();
    }
}
