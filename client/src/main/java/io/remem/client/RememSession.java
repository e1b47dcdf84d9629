package io.remem.client;

import io.remem.protocol.ClusterInfo;
import io.remem.protocol.ClusterStatus;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.Features;
import io.remem.protocol.RememException;
import io.remem.protocol.Role;
import io.remem.protocol.auth.Credentials;
import io.remem.transport.ClientTls;
import io.remem.transport.EventLoops;
import io.remem.transport.HostPort;
import io.remem.transport.NanoClock;

import java.time.Clock;

/**
 * A runtime connected to a remem cluster for one tenant. Open with {@link Remem#connect}. The far memory it allocates
 * belongs to the session's lease with the controller: closing the session frees it, and so does the controller when the
 * lease expires because the runtime died or was cut off for the lease timeout ({@code remem controller
 * --lease-timeout}, 30 s by default). Closing writes back every dirty line first, then releases the cache, the lease
 * and the connections.
 */
public final class RememSession implements AutoCloseable {
    private final RememOptions options;
    private final EventLoops loops;
    private final ControllerClient controller;
    private final NodeLinks links;
    private final LocalCache cache;
    private final FarMemory memory;
    private final ClusterInfo info;
    private final SessionLease lease;
    private final DatasetCatalog datasets;

    RememSession(HostPort controllerAddress, RememOptions options) {
        if (options.secret() == null) {
            throw new RememException(ErrorCode.AUTHENTICATION_FAILED, "RememOptions.secret: no secret for tenant "
                    + options.tenant() + "; an admin creates the tenant and its secret with `remem tenant add "
                    + options.tenant() + "`");
        }
        this.options = options;
        ClientTls tls = options.tls() == null ? null : ClientTls.of(options.tls());
        this.loops = EventLoops.create("remem-client", options.ioThreads());
        ControllerClient ctl = null;
        NodeLinks nodeLinks = null;
        SessionLease held = null;
        try {
            SessionTokens tokens = new SessionTokens(Clock.systemUTC());
            nodeLinks = new NodeLinks(Credentials.ofToken(options.tenant(), tokens), tls,
                    options.checksums() ? Features.CHECKSUMS : 0, options.connectTimeout(), options.requestTimeout(),
                    NanoClock.SYSTEM, options.spinWait());
            ctl = new ControllerClient(loops, controllerAddress, Role.CLIENT,
                    Credentials.ofSecret(options.tenant(), options.secret()), tls, options.connectTimeout(),
                    options.requestTimeout(), options.failoverTimeout(), tokens::accept, new NodeVerdicts(nodeLinks));
            this.info = ctl.info();
            tokens.renewWith(ctl::renewToken);
            held = new SessionLease(ctl);
            CacheConfig cc = options.cacheConfig();
            SlabTable table = new SlabTable(info.slabShift(), Integer.numberOfTrailingZeros(cc.blockSize()));
            Failover failover = new Failover(table, ctl, nodeLinks, options.failoverTimeout());
            ReplicaReads reads = new ReplicaReads(table, nodeLinks, failover, options.readFailoverAfter().toNanos());
            RemoteBackend backend = new RemoteBackend(table, nodeLinks, failover, reads);
            this.cache = new LocalCache(cc, backend);
            FarAllocator allocator = new FarAllocator(ctl, table, cache, options.replication(), held);
            DatasetCatalog datasets = new DatasetCatalog(ctl, table, cache, nodeLinks, options.tenant(), held,
                    options.replication(), Clock.systemUTC());
            this.datasets = datasets;
            this.memory = new FarMemory(cache, allocator, new Offload(cache, table, nodeLinks, backend, reads), datasets,
                    held.id(), ctl::leaseAlive);
            LocalCache c = cache;
            held.onExpired(() -> forgetLeasedMemory(allocator, datasets, table, c));
        } catch (RuntimeException e) {
            if (held != null) {
                held.close();
            }
            if (nodeLinks != null) {
                nodeLinks.close();
            }
            if (ctl != null) {
                ctl.close();
            }
            loops.close();
            throw e;
        }
        this.controller = ctl;
        this.links = nodeLinks;
        this.lease = held;
    }

    /**
     * The lease expired and the controller freed everything it held: forget those slabs here too, so no allocation is
     * carved from them and no dirty line waits to be written to them. Datasets are not the lease's and stay.
     */
    private static void forgetLeasedMemory(FarAllocator allocator, DatasetCatalog datasets, SlabTable table,
                                           LocalCache cache) {
        allocator.forgetSmallObjectSlabs();
        for (long slabId : table.slabIds()) {
            if (!datasets.holds(slabId)) {
                cache.discard(table.farAddress(slabId, 0), 1L << table.slabShift());
                table.remove(slabId, 1);
            }
        }
        datasets.reopenAll();
    }

    public FarMemory memory() {
        return memory;
    }

    public RememOptions options() {
        return options;
    }

    public String tenant() {
        return options.tenant();
    }

    /** Bytes per slab in this cluster. */
    public long slabSize() {
        return info.slabSize();
    }

    /** This tenant's quota and usage as the controller sees them now (a tenant sees nothing of other tenants). */
    public ClusterStatus clusterStatus() {
        return controller.status();
    }

    /**
     * Flushes dirty data, then closes the cache, ends the lease (the controller frees every slab this session allocated)
     * and closes every connection, even if the flush fails.
     */
    @Override
    public void close() {
        try {
            if (!cache.isClosed()) {
                cache.flush();
            }
        } finally {
            cache.close();
            datasets.close();
            links.close();
            lease.close();
            controller.close();
            loops.close();
        }
    }
}
