package io.remem.transport;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.concurrent.atomic.AtomicLong;


import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link LinkChannel.Plain#spinUntilReadable}: it ends when bytes wait, when its time is up, or when closed. */
@Timeout(60)
class LinkChannelSpinTest {
    private ServerSocketChannel server;
    private SocketChannel peer;
    private LinkChannel.Plain channel;

    @BeforeEach
    void connect() throws IOException {
        server = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
        SocketChannel client = SocketChannel.open(server.getLocalAddress());
        peer = server.accept();
        channel = new LinkChannel.Plain(client);
    }

    @AfterEach
    void close() throws IOException {
        channel.close();
        peer.close();
        server.close();
    }

    @Test
    void withNothingToReadItSpinsItsBudgetOnTheClockAndReturns() throws IOException {
        AtomicLong now = new AtomicLong();
        NanoClock clock = () -> now.addAndGet(1_000); // a microsecond a look
        channel.spinUntilReadable(50_000, clock);
        assertThat(now.get()).as("about 50 looks at a microsecond each").isBetween(50_000L, 60_000L);
    }

    @Test
    void bytesArrivingEndTheSpinAndAreStillThereToRead() throws IOException {
        peer.write(ByteBuffer.wrap(new byte[] {7, 8, 9}));
        long t0 = System.nanoTime();
        channel.spinUntilReadable(60_000_000_000L, System::nanoTime);
        assertThat(System.nanoTime() - t0).as("ended by the bytes, not by its minute").isLessThan(10_000_000_000L);
        ByteBuffer got = ByteBuffer.allocate(3);
        while (got.hasRemaining()) {
            channel.read(got);
        }
        assertThat(got.array()).containsExactly(7, 8, 9);
    }

    @Test
    void aClosedChannelEndsTheSpinWithAnError() {
        channel.close();
        assertThatThrownBy(() -> channel.spinUntilReadable(Long.MAX_VALUE / 4, System::nanoTime))
                .isInstanceOf(IOException.class);
    }
}
