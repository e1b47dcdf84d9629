package io.remem.controller;

import io.remem.protocol.ErrorCode;
import io.remem.protocol.Limits;
import io.remem.protocol.RememException;
import io.remem.protocol.TenantName;
import io.remem.transport.HostPort;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * How to run a controller.
 *
 * @param listen            where memory nodes and clients connect (port 0 picks a free port)
 * @param dataDir           where metadata is persisted; created if missing
 * @param slabShift         log2 of the slab size (default 26: 64 MiB)
 * @param heartbeatInterval how often memory nodes report
 * @param nodeTimeout       a node silent this long is marked dead
 * @param defaultQuota      slab bytes a tenant may hold unless {@code quotas} says otherwise
 * @param quotas            per-tenant quotas
 */
public record ControllerConfig(HostPort listen, Path dataDir, int slabShift, Duration heartbeatInterval,
                               Duration nodeTimeout, long defaultQuota, Map<String, Long> quotas, Duration callTimeout) {
    public static final long DEFAULT_QUOTA = 1L << 40;

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
        quotas = Map.copyOf(quotas);
        quotas.forEach((tenant, quota) -> {
            TenantName.check(tenant);
            if (quota < 0) {
                throw new RememException(ErrorCode.INVALID_ARGUMENT, "quota of tenant " + tenant + " must not be negative");
            }
        });
    }

    /** Defaults for everything but where to listen and where to keep data. */
    public ControllerConfig(HostPort listen, Path dataDir) {
        this(listen, dataDir, Limits.DEFAULT_SLAB_SHIFT, Duration.ofSeconds(1), Duration.ofSeconds(5),
                DEFAULT_QUOTA, Map.of(), Duration.ofSeconds(10));
    }

    public ControllerConfig withSlabShift(int shift) {
        return new ControllerConfig(listen, dataDir, shift, heartbeatInterval, nodeTimeout, defaultQuota, quotas, callTimeout);
    }

    public ControllerConfig withHeartbeat(Duration interval, Duration timeout) {
        return new ControllerConfig(listen, dataDir, slabShift, interval, timeout, defaultQuota, quotas, callTimeout);
    }

    public ControllerConfig withQuotas(long defaultQuota, Map<String, Long> quotas) {
        return new ControllerConfig(listen, dataDir, slabShift, heartbeatInterval, nodeTimeout, defaultQuota, quotas, callTimeout);
    }

    long quotaOf(String tenant) {
        return quotas.getOrDefault(tenant, defaultQuota);
    }

    long slabSize() {
        return 1L << slabShift;
    }
}
