package io.remem.memnode;

import io.remem.protocol.ErrorCode;
import io.remem.protocol.Limits;
import io.remem.protocol.RememException;
import io.remem.transport.HostPort;

import java.time.Duration;

/**
 * How to run a memory node.
 *
 * @param listen     where clients connect (port 0 picks a free port)
 * @param advertise  the host clients are told to use; null means the listen host
 * @param capacity   bytes this node lends, at least one slab granule
 * @param controller where the controller is
 * @param ioThreads  I/O threads; 0 means Netty's default
 * @param dataDir    where slabs are kept in memory-mapped files, to survive a restart; null keeps them in memory only
 */
public record MemNodeConfig(HostPort listen, String advertise, long capacity, HostPort controller, int ioThreads,
                            Duration callTimeout, java.nio.file.Path dataDir) {
    public MemNodeConfig {
        if (capacity < Limits.SLAB_GRANULE) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT,
                    "capacity " + capacity + " is below the minimum of " + Limits.SLAB_GRANULE + " bytes");
        }
        if (ioThreads < 0) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "io threads must not be negative");
        }
    }

    public MemNodeConfig(HostPort listen, String advertise, long capacity, HostPort controller, int ioThreads,
                         Duration callTimeout) {
        this(listen, advertise, capacity, controller, ioThreads, callTimeout, null);
    }

    public MemNodeConfig(HostPort listen, long capacity, HostPort controller) {
        this(listen, null, capacity, controller, 0, Duration.ofSeconds(10));
    }

    public MemNodeConfig withDataDir(java.nio.file.Path dir) {
        return new MemNodeConfig(listen, advertise, capacity, controller, ioThreads, callTimeout, dir);
    }

    String advertisedHost() {
        if (advertise != null && !advertise.isBlank()) {
            return advertise;
        }
        String h = listen.host();
        return "0.0.0.0".equals(h) || "::".equals(h) ? "127.0.0.1" : h;
    }
}
