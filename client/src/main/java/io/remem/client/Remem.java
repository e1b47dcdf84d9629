package io.remem.client;

import io.remem.protocol.ClusterStatus;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.RememException;
import io.remem.protocol.Role;
import io.remem.protocol.auth.Credentials;
import io.remem.transport.ClientTls;
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

    /**
     * The tenant's own quota and usage, as the controller at {@code controller} sees them now; the whole cluster's status
     * needs {@link RememAdmin}.
     */
    public static ClusterStatus status(String controller, RememOptions options) {
        if (options.secret() == null) {
            throw new RememException(ErrorCode.AUTHENTICATION_FAILED, "RememOptions.secret: no secret for tenant "
                    + options.tenant());
        }
        HostPort address = HostPort.parse(controller, "controller");
        try (EventLoops loops = EventLoops.create("remem-status", 1);
             ControllerClient client = new ControllerClient(loops, address, Role.CLIENT,
                     Credentials.ofSecret(options.tenant(), options.secret()),
                     options.tls() == null ? null : ClientTls.of(options.tls()), options.connectTimeout(),
                     options.requestTimeout(), Duration.ZERO, grant -> {})) {
            return client.status();
        }
    }

    /** Connects with {@link RememOptions#defaults()}. */
    public static RememSession connect(String controller) {
        return connect(controller, RememOptions.defaults());
    }
}
