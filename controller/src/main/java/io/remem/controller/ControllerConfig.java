package io.remem.controller;

import io.remem.protocol.ErrorCode;
import io.remem.protocol.Limits;
import io.remem.protocol.RememException;
import io.remem.transport.HostPort;
import io.remem.transport.ServerLimits;
import io.remem.transport.TlsConfig;

import java.nio.file.Path;
import java.time.Duration;

/**
 * How to run a controller.
 *
 * @param listen            where memory nodes and clients connect (port 0 picks a free port)
 * @param dataDir           where metadata and the admin and cluster secrets are kept; created if missing
 * @param slabShift         log2 of the slab size (default 26: 64 MiB)
 * @param heartbeatInterval how often memory nodes report
 * @param nodeTimeout       a node silent this long is marked dead
 * @param defaultQuota      slab bytes a new tenant may hold unless it is added with a quota of its own
 * @param tokenTtl          how long a session token the controller issues stays valid
 * @param clusterSecretFile the memory nodes' shared secret; null for {@code dataDir/cluster.secret}, made if missing
 * @param limits            what one peer may hold of this server
 * @param tls               the server's certificate and key, or null for plain TCP
 * @param leaseTimeout      a runtime that has not renewed its lease for this long is presumed dead, and the memory
 *                          it allocated is freed
 * @param maxLeasesPerTenant runtime sessions (leases) one tenant may hold at once
 */
public record ControllerConfig(HostPort listen, Path dataDir, int slabShift, Duration heartbeatInterval,
                               Duration nodeTimeout, long defaultQuota, Duration callTimeout, Duration tokenTtl,
                               Path clusterSecretFile, ServerLimits limits, TlsConfig tls, Duration leaseTimeout,
                               int maxLeasesPerTenant) {
    public static final long DEFAULT_QUOTA = 1L << 40;
    public static final Duration DEFAULT_TOKEN_TTL = Duration.ofMinutes(15);
    public static final Duration DEFAULT_LEASE_TIMEOUT = Duration.ofSeconds(30);
    public static final Duration MIN_LEASE_TIMEOUT = Duration.ofSeconds(1);
    public static final Duration MAX_LEASE_TIMEOUT = Duration.ofDays(7);
    public static final int DEFAULT_MAX_LEASES_PER_TENANT = 1024;
    public static final String ADMIN_SECRET = "admin.secret";
    public static final String CLUSTER_SECRET = "cluster.secret";

    public ControllerConfig {
        if (dataDir == null) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "a data directory is required");
        }
        if (slabShift < Limits.MIN_SLAB_SHIFT || slabShift > Limits.MAX_SLAB_SHIFT) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "slab size 2^" + slabShift + " is outside 2^"
                    + Limits.MIN_SLAB_SHIFT + "..2^" + Limits.MAX_SLAB_SHIFT);
        }
        if (heartbeatInterval.isNegative() || heartbeatInterval.isZero()) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "heartbeat interval must be positive");
        }
        if (nodeTimeout.compareTo(heartbeatInterval.multipliedBy(2)) < 0) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "node timeout " + nodeTimeout
                    + " must be at least twice the heartbeat interval " + heartbeatInterval);
        }
        if (defaultQuota < 0) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "default quota must not be negative");
        }
        if (tokenTtl.compareTo(Duration.ofSeconds(10)) < 0 || tokenTtl.compareTo(Duration.ofDays(1)) > 0) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "token lifetime " + tokenTtl + " is outside 10s..24h");
        }
        if (leaseTimeout.compareTo(MIN_LEASE_TIMEOUT) < 0 || leaseTimeout.compareTo(MAX_LEASE_TIMEOUT) > 0) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "lease timeout " + leaseTimeout + " is outside 1s..7d");
        }
        if (maxLeasesPerTenant < 1 || maxLeasesPerTenant > 1 << 20) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "max leases per tenant " + maxLeasesPerTenant
                    + " is outside 1.." + (1 << 20));
        }
    }

    /** Defaults for everything but where to listen and where to keep data. */
    public ControllerConfig(HostPort listen, Path dataDir) {
        this(listen, dataDir, Limits.DEFAULT_SLAB_SHIFT, Duration.ofSeconds(1), Duration.ofSeconds(5),
                DEFAULT_QUOTA, Duration.ofSeconds(10), DEFAULT_TOKEN_TTL, null, ServerLimits.DEFAULTS, null,
                DEFAULT_LEASE_TIMEOUT, DEFAULT_MAX_LEASES_PER_TENANT);
    }

    public ControllerConfig withSlabShift(int shift) {
        return new ControllerConfig(listen, dataDir, shift, heartbeatInterval, nodeTimeout, defaultQuota, callTimeout,
                tokenTtl, clusterSecretFile, limits, tls, leaseTimeout, maxLeasesPerTenant);
    }

    public ControllerConfig withHeartbeat(Duration interval, Duration timeout) {
        return new ControllerConfig(listen, dataDir, slabShift, interval, timeout, defaultQuota, callTimeout,
                tokenTtl, clusterSecretFile, limits, tls, leaseTimeout, maxLeasesPerTenant);
    }

    public ControllerConfig withDefaultQuota(long quota) {
        return new ControllerConfig(listen, dataDir, slabShift, heartbeatInterval, nodeTimeout, quota, callTimeout,
                tokenTtl, clusterSecretFile, limits, tls, leaseTimeout, maxLeasesPerTenant);
    }

    public ControllerConfig withTokenTtl(Duration ttl) {
        return new ControllerConfig(listen, dataDir, slabShift, heartbeatInterval, nodeTimeout, defaultQuota, callTimeout,
                ttl, clusterSecretFile, limits, tls, leaseTimeout, maxLeasesPerTenant);
    }

    public ControllerConfig withClusterSecretFile(Path file) {
        return new ControllerConfig(listen, dataDir, slabShift, heartbeatInterval, nodeTimeout, defaultQuota, callTimeout,
                tokenTtl, file, limits, tls, leaseTimeout, maxLeasesPerTenant);
    }

    public ControllerConfig withLimits(ServerLimits l) {
        return new ControllerConfig(listen, dataDir, slabShift, heartbeatInterval, nodeTimeout, defaultQuota, callTimeout,
                tokenTtl, clusterSecretFile, l, tls, leaseTimeout, maxLeasesPerTenant);
    }

    public ControllerConfig withTls(TlsConfig t) {
        return new ControllerConfig(listen, dataDir, slabShift, heartbeatInterval, nodeTimeout, defaultQuota, callTimeout,
                tokenTtl, clusterSecretFile, limits, t, leaseTimeout, maxLeasesPerTenant);
    }

    public ControllerConfig withLeaseTimeout(Duration timeout) {
        return new ControllerConfig(listen, dataDir, slabShift, heartbeatInterval, nodeTimeout, defaultQuota, callTimeout,
                tokenTtl, clusterSecretFile, limits, tls, timeout, maxLeasesPerTenant);
    }

    public ControllerConfig withMaxLeasesPerTenant(int max) {
        return new ControllerConfig(listen, dataDir, slabShift, heartbeatInterval, nodeTimeout, defaultQuota, callTimeout,
                tokenTtl, clusterSecretFile, limits, tls, leaseTimeout, max);
    }

    /** The admin secret's file: always in the data directory, made on first start. */
    public Path adminSecretFile() {
        return dataDir.resolve(ADMIN_SECRET);
    }

    /** The cluster secret's file that memory nodes must be given. */
    public Path effectiveClusterSecretFile() {
        return clusterSecretFile != null ? clusterSecretFile : dataDir.resolve(CLUSTER_SECRET);
    }

    long slabSize() {
        return 1L << slabShift;
    }
}
