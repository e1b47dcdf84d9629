package io.remem.memnode;

import io.remem.protocol.ErrorCode;
import io.remem.protocol.Limits;
import io.remem.protocol.RememException;
import io.remem.protocol.auth.Secret;
import io.remem.transport.HostPort;
import io.remem.transport.ServerLimits;
import io.remem.transport.TlsConfig;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * How to run a memory node.
 *
 * @param listen             where clients connect (port 0 picks a free port)
 * @param advertise          the host clients are told to use; null means the listen host
 * @param capacity           bytes this node lends, at least one slab granule
 * @param controller         where the controller is
 * @param ioThreads          I/O threads; 0 means Netty's default
 * @param callTimeout        how long a request to the controller or another node may take
 * @param dataDir            where slabs are kept in memory-mapped files, to survive a restart; null keeps them in memory
 * @param clusterSecrets     the cluster secret this node proves to the controller (the first) and checks tokens with
 *                           (all of them)
 * @param limits             what one peer may hold of this server
 * @param maxSessionsPerTenant sessions one tenant may hold open here at once
 * @param tls                this node's certificate, key and CA: TLS on its port and on the connections it makes;
 *                           null for plain TCP
 * @param scrubRate          bytes of sealed slab data per second the background scrub verifies against their
 *                           checksums, with a data directory; 0 turns verification off (data is still checked when
 *                           the node restarts). Slabs in memory only have no checksums at rest.
 */
public record MemNodeConfig(HostPort listen, String advertise, long capacity, HostPort controller, int ioThreads,
                            Duration callTimeout, Path dataDir, List<Secret> clusterSecrets, ServerLimits limits,
                            int maxSessionsPerTenant, TlsConfig tls, long scrubRate) {
    public static final int DEFAULT_SESSIONS_PER_TENANT = 256;
    /** 32 MiB a second: a few milliseconds of CRC32C work, and a full pass over a 100 GiB node in under an hour. */
    public static final long DEFAULT_SCRUB_RATE = 32L << 20;

    public MemNodeConfig {
        if (capacity < Limits.SLAB_GRANULE) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT,
                    "capacity " + capacity + " is below the minimum of " + Limits.SLAB_GRANULE + " bytes");
        }
        if (ioThreads < 0) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "io threads must not be negative");
        }
        if (clusterSecrets == null || clusterSecrets.isEmpty()) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "a memory node needs the cluster secret"
                    + " (--cluster-secret-file; the controller made it in its data directory)");
        }
        clusterSecrets = List.copyOf(clusterSecrets);
        if (maxSessionsPerTenant < 1) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "sessions per tenant must be at least 1");
        }
        if (scrubRate < 0) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "scrub rate must not be negative, not " + scrubRate);
        }
    }

    /** As the canonical constructor, scrubbing at {@link #DEFAULT_SCRUB_RATE}. */
    public MemNodeConfig(HostPort listen, String advertise, long capacity, HostPort controller, int ioThreads,
                         Duration callTimeout, Path dataDir, List<Secret> clusterSecrets, ServerLimits limits,
                         int maxSessionsPerTenant, TlsConfig tls) {
        this(listen, advertise, capacity, controller, ioThreads, callTimeout, dataDir, clusterSecrets, limits,
                maxSessionsPerTenant, tls, DEFAULT_SCRUB_RATE);
    }

    public MemNodeConfig(HostPort listen, long capacity, HostPort controller, List<Secret> clusterSecrets) {
        this(listen, null, capacity, controller, 0, Duration.ofSeconds(10), null, clusterSecrets, ServerLimits.DEFAULTS,
                DEFAULT_SESSIONS_PER_TENANT, null, DEFAULT_SCRUB_RATE);
    }

    public MemNodeConfig withDataDir(Path dir) {
        return new MemNodeConfig(listen, advertise, capacity, controller, ioThreads, callTimeout, dir, clusterSecrets,
                limits, maxSessionsPerTenant, tls, scrubRate);
    }

    public MemNodeConfig withAdvertise(String host) {
        return new MemNodeConfig(listen, host, capacity, controller, ioThreads, callTimeout, dataDir, clusterSecrets,
                limits, maxSessionsPerTenant, tls, scrubRate);
    }

    public MemNodeConfig withIoThreads(int n) {
        return new MemNodeConfig(listen, advertise, capacity, controller, n, callTimeout, dataDir, clusterSecrets,
                limits, maxSessionsPerTenant, tls, scrubRate);
    }

    public MemNodeConfig withCallTimeout(Duration t) {
        return new MemNodeConfig(listen, advertise, capacity, controller, ioThreads, t, dataDir, clusterSecrets,
                limits, maxSessionsPerTenant, tls, scrubRate);
    }

    public MemNodeConfig withLimits(ServerLimits l, int sessionsPerTenant) {
        return new MemNodeConfig(listen, advertise, capacity, controller, ioThreads, callTimeout, dataDir, clusterSecrets,
                l, sessionsPerTenant, tls, scrubRate);
    }

    public MemNodeConfig withTls(TlsConfig t) {
        return new MemNodeConfig(listen, advertise, capacity, controller, ioThreads, callTimeout, dataDir, clusterSecrets,
                limits, maxSessionsPerTenant, t, scrubRate);
    }

    public MemNodeConfig withScrubRate(long bytesPerSecond) {
        return new MemNodeConfig(listen, advertise, capacity, controller, ioThreads, callTimeout, dataDir, clusterSecrets,
                limits, maxSessionsPerTenant, tls, bytesPerSecond);
    }

    String advertisedHost() {
        if (advertise != null && !advertise.isBlank()) {
            return advertise;
        }
        String h = listen.host();
        return "0.0.0.0".equals(h) || "::".equals(h) ? "127.0.0.1" : h;
    }
}
