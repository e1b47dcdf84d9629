package io.remem.client;

import io.remem.protocol.ClusterStatus;
import io.remem.transport.EventLoops;
import io.remem.transport.HostPort;

import java.time.Duration;

/**
 * The entry point:
 *
 * <pre>{@code
 * try (RememSession session = Remem.connect("10.0.0.1:7000", RememOptions.builder().tenant("app").build())) {
 *     FarSegment s = session.memory().allocate(1L << 30);
 *     s.set(ValueLayout.JAVA_LONG, 0, 42);
 * }
 * }</pre>
 */
public final class Remem {
    private Remem() {}

    /** Connects to the controller at {@code controller} ({@code HOST:PORT}) as {@code options.tenant()}. */
    public static RememSession connect(String controller, RememOptions options) {
        return new RememSession(HostPort.parse(controller, "controller"), options);
    }

    /** Membership, usage and tenants as the controller at {@code controller} sees them now. */
    public static ClusterStatus status(String controller) {
        HostPort address = HostPort.parse(controller, "controller");
        try (EventLoops loops = EventLoops.create("remem-status", 1);
             ControllerClient client = new ControllerClient(loops, address, "remem-status", Duration.ofSeconds(3),
                     Duration.ofSeconds(10))) {
            return client.status();
        }
    }

    /**
     * Asks the controller at {@code controller} to drain memory node {@code nodeId}: it stops placing slabs there and
     * moves every slab it holds to other nodes while clients keep working. Returns at once; {@link #status} shows the
     * progress.
     */
    public static void drain(String controller, long nodeId) {
        HostPort address = HostPort.parse(controller, "controller");
        try (EventLoops loops = EventLoops.create("remem-drain", 1);
             ControllerClient client = new ControllerClient(loops, address, "remem-status", Duration.ofSeconds(3),
                     Duration.ofSeconds(10))) {
            client.drain(nodeId);
        }
    }

    /** Connects with {@link RememOptions#defaults()}. */
    public static RememSession connect(String controller) {
        return connect(controller, RememOptions.defaults());
    }
}
