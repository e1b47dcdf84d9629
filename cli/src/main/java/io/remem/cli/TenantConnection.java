package io.remem.cli;

import io.remem.client.Remem;
import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import io.remem.protocol.ClusterStatus;
import io.remem.protocol.RememException;
import io.remem.transport.HostPort;
import io.remem.transport.TlsConfig;

import java.util.function.Function;

/**
 * A tenant's connection from the CLI: its name from {@code --tenant}, its secret from {@code REMEM_SECRET} (never a
 * command-line argument, which {@code ps} would show), and the TLS flags. Failures become one line naming the flag or
 * variable at fault.
 */
final class TenantConnection {
    /** Where the CLI takes a tenant's secret from. */
    static final String SECRET_VARIABLE = "REMEM_SECRET";

    private final HostPort controller;
    private final String tenant;
    private final TlsClientOptions tls;

    TenantConnection(HostPort controller, String tenant, TlsClientOptions tls) {
        this.controller = controller;
        this.tenant = tenant;
        this.tls = tls;
    }

    ClusterStatus status() {
        return call(options -> Remem.status(controller.toString(), options));
    }

    /** Runs {@code work} in a runtime session of the tenant with a small cache, closed afterwards. */
    <T> T inSession(Function<RememSession, T> work) {
        return call(options -> {
            try (RememSession s = Remem.connect(controller.toString(), options.toBuilder().cacheBytes(1 << 20).build())) {
                return work.apply(s);
            }
        });
    }

    private <T> T call(Function<RememOptions, T> work) {
        RememOptions options = options();
        try {
            return work.apply(options);
        } catch (RememException e) {
            throw new IllegalArgumentException(switch (e.code()) {
                case AUTHENTICATION_FAILED -> SECRET_VARIABLE + ": the controller at " + controller + " refused tenant "
                        + tenant + "'s secret (" + e.detail() + ")";
                case NODE_UNAVAILABLE, CONNECTION_CLOSED, TIMEOUT -> "--controller " + controller + ": " + e.detail();
                default -> e.detail();
            }, e);
        }
    }

    private RememOptions options() {
        String secret = System.getenv(SECRET_VARIABLE);
        if (secret == null || secret.isBlank()) {
            throw new IllegalArgumentException("--tenant " + tenant + ": set " + SECRET_VARIABLE + " to the tenant's secret");
        }
        try {
            TlsConfig t = tls.config();
            RememOptions.Builder b = RememOptions.builder().tenant(tenant).secret(secret.toCharArray());
            if (t != null) {
                b.tls(t.trustCa());
                if (t.certChain() != null) {
                    b.tlsClientCertificate(t.certChain(), t.privateKey());
                }
            }
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException((e.getMessage().startsWith("secret") ? SECRET_VARIABLE : "--tenant "
                    + tenant) + ": " + e.getMessage());
        }
    }
}
