package io.remem.controller;

import io.netty.handler.ssl.SslContext;
import io.remem.transport.Connections;
import io.remem.transport.EventLoops;
import io.remem.transport.HostPort;
import io.remem.transport.Peer;
import io.remem.transport.PlainTcp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A running controller: recovers its metadata, serves memory nodes and clients on one port, and marks nodes
 * dead when their heartbeats stop. Start one with {@link #start}.
 */
public final class Controller implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Controller.class);

    private final ControllerConfig config;
    private final Metadata metadata;
    private final EventLoops loops;
    private final ExecutorService slowPath = Executors.newVirtualThreadPerTaskExecutor();
    private final ScheduledExecutorService detector;
    private final Connections.Listener listener;
    private final Repairer repairer;
    private final ClientConnections connections;
    private final Allocations allocations;

    /** Copies of slabs that may run at once. */
    private static final int MAX_COPIES = 4;
    /** A node using more than this fraction of its capacity has slabs moved off it. */
    private static final double MEMORY_HIGH_WATER = 0.9;
    /** How long one slab copy may take before it is abandoned and tried again. */
    private static final Duration COPY_TIMEOUT = Duration.ofMinutes(10);
    /** How often the repairer looks for slabs to copy or move. */
    private static final long REPAIR_PERIOD_MILLIS = 100;

    private Controller(ControllerConfig config, Clock clock) {
        this.config = config;
        SecureRandom random = new SecureRandom();
        ControllerKeys keys = ControllerKeys.load(config, random);
        SslContext tls = config.tls() == null ? null : config.tls().serverContext();
        this.metadata = Metadata.recover(config, ThreadLocalRandom.current());
        TokenIssuer tokens = new TokenIssuer(keys.tokens(), clock, config.tokenTtl(), COPY_TIMEOUT.plusMinutes(1));
        this.loops = EventLoops.create("remem-controller", 0);
        this.repairer = new Repairer(metadata, slowPath, MAX_COPIES, MEMORY_HIGH_WATER, COPY_TIMEOUT, tokens);
        this.connections = new ClientConnections();
        Authenticator authenticator = new Authenticator(metadata, keys, tokens, connections);
        Allocations allocations = new Allocations(metadata, config.nodeTimeout());
        ClientRequests clients = new ClientRequests(metadata, allocations, tokens, slowPath, this::declareDead,
                config.maxLeasesPerTenant());
        AdminRequests admins = new AdminRequests(metadata, repairer, allocations, slowPath, connections);
        NodeRequests nodes = new NodeRequests(metadata, config.heartbeatInterval(),
                node -> connections.announce(node.id, true));
        try {
            this.listener = Connections.listen(loops, config.listen().host(), config.listen().port(),
                    () -> new ControllerService(metadata, authenticator, clients, admins, nodes, connections), "controller",
                    config.callTimeout(), config.limits(), tls);
        } catch (RuntimeException e) {
            loops.close();
            metadata.close();
            throw e;
        }
        if (tls == null) {
            PlainTcp.warn(log, "the controller", listener.address());
        }
        this.detector = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform()
                .daemon().name("remem-failure-detector").factory());
        long period = Math.max(1, config.heartbeatInterval().toMillis() / 2);
        detector.scheduleAtFixedRate(this::detectFailures, period, period, TimeUnit.MILLISECONDS);
        detector.scheduleWithFixedDelay(this::repair, REPAIR_PERIOD_MILLIS, REPAIR_PERIOD_MILLIS, TimeUnit.MILLISECONDS);
        long leasePeriod = Math.max(100, config.leaseTimeout().toMillis() / 10);
        // Deletes on memory nodes are sent, not awaited, so this runs on the detector's own thread.
        detector.scheduleWithFixedDelay(this::reclaimExpiredLeases, leasePeriod, leasePeriod, TimeUnit.MILLISECONDS);
        this.allocations = allocations;
    }

    /** Frees the memory of every runtime whose lease ran out: it died, or has been cut off for the lease timeout. */
    private void reclaimExpiredLeases() {
        try {
            for (Journal.LeaseEnded e : metadata.leaseKeeper().expired()) {
                int slabs = allocations.endLease(e.tenant(), e.id(), true);
                if (slabs < 0) {
                    continue;
                }
                log.warn("lease {} of tenant {} expired (not renewed for {} ms): freed its {} slab(s)",
                        Long.toHexString(e.id()), e.tenant(), config.leaseTimeout().toMillis(), slabs);
            }
        } catch (RuntimeException e) {
            log.error("lease reclaim", e);
        }
    }

    private void repair() {
        try {
            repairer.tick();
        } catch (RuntimeException e) {
            log.error("repairer", e);
        }
    }

    /** Marks {@code node} dead now and drops it from the slabs that have other replicas. */
    private void declareDead(NodeRecord node) {
        if (metadata.markDead(node)) {
            failOver(node);
        }
    }

    private void failOver(NodeRecord n) {
        connections.announce(n.id, false);
        Peer link = n.link;
        if (link != null) {
            link.close(); // a node that is only slow must register again, and learn which slabs it lost, to rejoin
        }
        List<SlabRecord> changed = metadata.dropDeadNode(n);
        log.warn("memory node {} ({}) is dead: dropped from {} slab(s), which fail over to their other replicas and"
                + " are copied again; {} slab(s) had no other copy and wait for it to return", n.id, n.address(),
                changed.size(), n.slabs);
    }

    public static Controller start(ControllerConfig config) {
        return new Controller(config, Clock.systemUTC());
    }

    /** As {@link #start(ControllerConfig)}, with the clock that stamps tokens. */
    public static Controller start(ControllerConfig config, Clock clock) {
        return new Controller(config, clock);
    }

    /** Where memory nodes and clients reach this controller. */
    public HostPort address() {
        String host = config.listen().host();
        if ("0.0.0.0".equals(host) || "::".equals(host)) {
            host = "127.0.0.1";
        }
        return new HostPort(host, listener.port());
    }

    /** Number of memory nodes currently alive. */
    public int liveNodes() {
        return metadata.liveNodes();
    }

    private void detectFailures() {
        try {
            for (NodeRecord n : metadata.detectFailures(System.nanoTime(), config.nodeTimeout().toNanos(),
                    config.heartbeatInterval().toNanos())) {
                log.warn("memory node {} ({}) has been silent for more than {} ms, or its connection closed: marked"
                        + " dead", n.id, n.address(), config.nodeTimeout().toMillis());
                failOver(n);
            }
        } catch (RuntimeException e) {
            log.error("failure detector", e);
        }
    }

    @Override
    public void close() {
        detector.shutdownNow();
        listener.close();
        slowPath.shutdownNow();
        loops.close();
        metadata.close();
    }
}
