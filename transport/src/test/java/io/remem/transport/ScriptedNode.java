package io.remem.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.FrameHeader;
import io.remem.protocol.Frames;
import io.remem.protocol.Hello;
import io.remem.protocol.HelloReply;
import io.remem.protocol.Opcode;
import io.remem.protocol.Role;
import io.remem.protocol.Wire;
import io.remem.protocol.auth.Credentials;
import io.remem.testkit.Await;

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
 * hanging it. With {@link #accept} instead of {@link #connect} the test scripts the handshake too (a fake server).
 */
final class ScriptedNode implements AutoCloseable {
    static final Duration WAIT = Duration.ofSeconds(5);
    /** The session token scripted links present; the scripted node does not check it. */
    static final byte[] TOKEN = {0x72, 0x65, 0x6d, 0x65, 0x6d, 0x2d, 0x74, 0x6f, 0x6b, 0x65, 0x6e};
    /** The session id the scripted node grants. */
    static final int SESSION = 7;

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

    /** Token credentials for {@code principal}, as a runtime presents to a memory node. */
    static Credentials token(String principal) {
        return Credentials.ofToken(principal, TOKEN::clone);
    }

    String host() {
        return server.getInetAddress().getHostAddress();
    }

    int port() {
        return server.getLocalPort();
    }

    /** Connects a link with {@code callTimeout} to this node and opens its session. */
    DirectLink connect(Duration callTimeout) throws Exception {
        return connect(callTimeout, 0);
    }

    /** As above, asking for and granting {@code features}. */
    DirectLink connect(Duration callTimeout, int features) throws Exception {
        DirectLink link = DirectLink.connect(host(), port(), Duration.ofSeconds(2), callTimeout);
        try {
            CompletableFuture<ClientHandshake.Session> hello =
                    CompletableFuture.supplyAsync(() -> link.hello(Role.CLIENT, token("t"), 0, features));
            accept();
            Request h = nextRequest();
            if (h.op() != Opcode.HELLO) {
                throw new AssertionError("expected HELLO, got " + h.header());
            }
            send(response(h, encode(new HelloReply.Accepted(Wire.VERSION, SESSION, "scripted", features, new byte[0],
                    new byte[0]))));
            Await.result(hello, WAIT);
            return link;
        } catch (Exception | AssertionError e) {
            link.close();
            throw e;
        }
    }

    /** Accepts the one connection and starts reading its requests; the test then scripts every answer. */
    void accept() throws IOException {
        socket = server.accept();
        socket.setTcpNoDelay(true);
        out = socket.getOutputStream();
        DataInputStream in = new DataInputStream(socket.getInputStream());
        Thread.ofPlatform().daemon().name("scripted-node-reader").start(() -> readRequests(in));
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
        return response(request, body.length, body);
    }

    /**
     * As above with {@code length} in the header: a data answer with a checksum trailer names the data's length, not
     * the body's.
     */
    static byte[] response(Request request, int length, byte[] body) {
        ByteBuf out = Unpooled.buffer();
        int start = Frames.beginResponse(out, request.header(), request.header().slabId(), request.header().offset(),
                length);
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

    /** The body of a HELLO or AUTH answer. */
    static byte[] encode(HelloReply reply) {
        ByteBuf b = Unpooled.buffer();
        reply.encode(b);
        return bytesOf(b);
    }

    /** The HELLO a request carries. */
    static Hello hello(Request request) {
        return Hello.decode(Unpooled.wrappedBuffer(request.body()));
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
