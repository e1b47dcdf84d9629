package io.remem.transport;

import io.remem.protocol.ErrorCode;
import io.remem.protocol.RememException;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.time.Duration;

/**
 * The byte stream under a {@link DirectLink}: blocking reads by one thread at a time and blocking writes by one thread
 * at a time, concurrently with each other, and a close that wakes a blocked reader. Plain TCP reads straight into the
 * destination buffer; TLS decrypts through a small buffer of its own.
 */
sealed interface LinkChannel permits LinkChannel.Plain, LinkChannel.Tls {
    /** Reads some bytes into {@code dst}; -1 at the end of the stream. */
    int read(ByteBuffer dst) throws IOException;

    /** Reads some bytes into {@code dsts}, filling them in order; -1 at the end of the stream. */
    long read(ByteBuffer[] dsts) throws IOException;

    /** Writes all of {@code srcs}. */
    void write(ByteBuffer... srcs) throws IOException;

    boolean isOpen();

    /**
     * Spins until a byte can be read without blocking, or for {@code nanos} of {@code clock} at most. TLS does not
     * spin: its bytes may wait decrypted in the engine, out of the socket's sight.
     */
    default void spinUntilReadable(long nanos, NanoClock clock) throws IOException {}

    /** Closes the stream; a thread blocked in {@link #read} wakes with an exception. */
    void close();

    static LinkChannel open(String host, int port, Duration connectTimeout, ClientTls tls) {
        int timeoutMillis = (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis());
        if (tls == null) {
            SocketChannel ch = null;
            try {
                ch = SocketChannel.open();
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                ch.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
                ch.socket().connect(new InetSocketAddress(host, port), timeoutMillis);
                return new Plain(ch);
            } catch (IOException | RuntimeException e) {
                closeQuietly(ch);
                throw unavailable(host, port, "cannot connect", e);
            }
        }
        Socket raw = new Socket();
        try {
            raw.setTcpNoDelay(true);
            raw.setKeepAlive(true);
            raw.connect(new InetSocketAddress(host, port), timeoutMillis);
        } catch (IOException | RuntimeException e) {
            closeQuietly(raw);
            throw unavailable(host, port, "cannot connect", e);
        }
        try {
            SSLContext context = tls.jdk();
            SSLSocket ssl = (SSLSocket) context.getSocketFactory().createSocket(raw, host, port, true);
            SSLParameters params = ssl.getSSLParameters();
            params.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate must name the host dialled
            ssl.setSSLParameters(params);
            ssl.setSoTimeout(timeoutMillis);
            ssl.startHandshake();
            ssl.setSoTimeout(0);
            return new Tls(raw, ssl);
        } catch (IOException | RuntimeException e) {
            closeQuietly(raw);
            throw unavailable(host, port, "TLS handshake failed", e);
        }
    }

    private static RememException unavailable(String host, int port, String what, Exception e) {
        String why = e instanceof SSLException || e.getCause() instanceof SSLException
                ? TlsErrors.describe(e) : String.valueOf(e.getMessage());
        return new RememException(ErrorCode.NODE_UNAVAILABLE, what + " with " + host + ":" + port + ": " + why, e);
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception ignored) {
                // already failing
            }
        }
    }

    /** Plain TCP: the socket reads straight into the caller's buffer, a cache frame on a miss. */
    final class Plain implements LinkChannel {
        private final SocketChannel channel;

        /** The channel's stream view, used only to ask how many bytes can be read without blocking. */
        private final InputStream probe;

        Plain(SocketChannel channel) throws IOException {
            this.channel = channel;
            this.probe = channel.socket().getInputStream();
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            return channel.read(dst);
        }

        @Override
        public void spinUntilReadable(long nanos, NanoClock clock) throws IOException {
            // FIONREAD: asks the kernel whether bytes wait, without blocking and without switching the channel's mode.
            long deadline = clock.nanoTime() + nanos;
            while (probe.available() == 0 && clock.nanoTime() - deadline < 0) {
                Thread.onSpinWait();
            }
        }

        @Override
        public long read(ByteBuffer[] dsts) throws IOException {
            return channel.read(dsts); // one system call for the data and its checksum
        }

        @Override
        public void write(ByteBuffer... srcs) throws IOException {
            if (srcs.length == 1) {
                while (srcs[0].hasRemaining()) {
                    channel.write(srcs[0]);
                }
                return;
            }
            while (anyRemaining(srcs)) {
                channel.write(srcs);
            }
        }

        private static boolean anyRemaining(ByteBuffer[] srcs) {
            for (ByteBuffer b : srcs) {
                if (b.hasRemaining()) {
                    return true;
                }
            }
            return false;
        }

        @Override
        public boolean isOpen() {
            return channel.isOpen();
        }

        @Override
        public void close() {
            closeQuietly(channel);
        }
    }

    /**
     * TLS through the JDK's SSLSocket, whose reads and writes may run at once on two threads. Bytes pass through a heap
     * buffer on each side, one copy more than plain TCP; records are at most 16 KiB, so that is the buffer size.
     */
    final class Tls implements LinkChannel {
        private static final int CHUNK = 16 << 10;
        private final Socket raw;
        private final InputStream in;
        private final OutputStream out;
        private final byte[] readBuffer = new byte[CHUNK];   // used by one reader at a time
        private final byte[] writeBuffer = new byte[CHUNK];  // used by one writer at a time

        Tls(Socket raw, SSLSocket ssl) throws IOException {
            this.raw = raw;
            this.in = ssl.getInputStream();
            this.out = ssl.getOutputStream();
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            if (dst.hasArray()) {
                int n = in.read(dst.array(), dst.arrayOffset() + dst.position(), dst.remaining());
                if (n > 0) {
                    dst.position(dst.position() + n);
                }
                return n;
            }
            int n = in.read(readBuffer, 0, Math.min(readBuffer.length, dst.remaining()));
            if (n > 0) {
                dst.put(readBuffer, 0, n);
            }
            return n;
        }

        @Override
        public long read(ByteBuffer[] dsts) throws IOException {
            for (ByteBuffer d : dsts) {
                if (d.hasRemaining()) {
                    return read(d);
                }
            }
            return 0;
        }

        @Override
        public void write(ByteBuffer... srcs) throws IOException {
            int filled = 0;
            for (ByteBuffer src : srcs) {
                while (src.hasRemaining()) {
                    int n = Math.min(src.remaining(), writeBuffer.length - filled);
                    src.get(writeBuffer, filled, n);
                    filled += n;
                    if (filled == writeBuffer.length) {
                        out.write(writeBuffer, 0, filled);
                        filled = 0;
                    }
                }
            }
            if (filled > 0) {
                out.write(writeBuffer, 0, filled); // header and small body in one record, so one segment on the wire
            }
            out.flush();
        }

        @Override
        public boolean isOpen() {
            return !raw.isClosed();
        }

        @Override
        public void close() {
            // The plain socket, not the TLS one: a TLS close would wait to send close_notify behind a blocked writer.
            closeQuietly(raw);
        }
    }
}
