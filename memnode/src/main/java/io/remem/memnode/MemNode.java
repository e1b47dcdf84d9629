package io.remem.memnode;

import io.netty.handler.ssl.SslContext;
import io.remem.protocol.auth.NodeKey;
import io.remem.protocol.auth.TokenKeys;
import io.remem.transport.ClientTls;
import io.remem.transport.Connections;
import io.remem.transport.EventLoops;
import io.remem.transport.HostPort;
import io.remem.transport.PlainTcp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * A running memory node: a slab store served to clients on one port, registered with a controller.
 * Start one with {@link #start}; {@link #close} stops serving and frees every slab's memory. With a data directory,
 * slabs live in memory-mapped files there and are found again by the next start, checked against their checksums
 * then and by a background scrub while the node runs.
 */
public final class MemNode implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MemNode.class);

    private final SlabFiles files;
    private final SlabStore store;
    private final EventLoops loops;
    private final Connections.Listener listener;
    private final ControllerLink link;
    private final HostPort advertised;
    /** Checks data at rest; null without a data directory (slabs in memory have none). */
    private final Scrubber scrubber;

    private MemNode(MemNodeConfig config, Clock clock, LongSupplier ticker) {
        SslContext serverTls = config.tls() == null ? null : config.tls().serverContext();
        ClientTls clientTls = config.tls() == null ? null : ClientTls.of(config.tls());
        this.files = config.dataDir() == null ? null : SlabFiles.open(config.dataDir());
        KeyPair identity;
        try {
            identity = files == null ? NodeKey.generate() : files.nodeKey();
        } catch (RuntimeException e) {
            closeFiles();
            throw e;
        }
        DamageReports reports = new DamageReports();
        this.store = new SlabStore(config.capacity(), files, reports, SlabStore.inVirtualThreads());
        try {
            store.recover();
        } catch (RuntimeException e) {
            closeFiles();
            throw e;
        }
        this.loops = EventLoops.create("remem-memnode", config.ioThreads());
        RecentOps recent = new RecentOps();
        TokenKeys tokens = TokenKeys.derive(config.clusterSecrets());
        TenantSessions sessions = new TenantSessions(config.maxSessionsPerTenant());
        try {
            this.listener = Connections.listen(loops, config.listen().host(), config.listen().port(),
                    () -> new DataService(store, sessions, recent, tokens, clock), "memnode", config.callTimeout(),
                    config.limits(), serverTls);
        } catch (RuntimeException e) {
            loops.close();
            store.clear();
            closeFiles();
            throw e;
        }
        if (serverTls == null) {
            PlainTcp.warn(log, "this memory node", listener.address());
        }
        this.advertised = new HostPort(config.advertisedHost(), listener.port());
        this.link = new ControllerLink(config, loops, store, listener.port(), files, identity, clientTls, reports);
        this.scrubber = files == null ? null : new Scrubber(store, config.scrubRate(), ticker);
    }

    private void closeFiles() {
        if (files != null) {
            files.close();
        }
    }

    /** Binds the data port and starts registering with the controller in the background. */
    public static MemNode start(MemNodeConfig config) {
        return start(config, Clock.systemUTC());
    }

    /** As {@link #start(MemNodeConfig)}, with the clock that tokens' expiry is checked against. */
    public static MemNode start(MemNodeConfig config, Clock clock) {
        return start(config, clock, System::nanoTime);
    }

    /** As above, the scrub's time taken from {@code ticker}; for tests, which also drive it ({@link #scrubber}). */
    static MemNode start(MemNodeConfig config, Clock clock, LongSupplier ticker) {
        MemNode node = new MemNode(config, clock, ticker);
        node.link.start();
        if (node.scrubber != null) {
            node.scrubber.start();
        }
        return node;
    }

    /** The scrub, or null without a data directory. */
    Scrubber scrubber() {
        return scrubber;
    }

    /** Where clients reach this node. */
    public HostPort address() {
        return advertised;
    }

    /** The id the controller gave this node; 0 until the first registration. */
    public long nodeId() {
        return link.nodeId();
    }

    /** Waits until the node has registered with the controller at least once. */
    public boolean awaitRegistered(Duration timeout) throws InterruptedException {
        return link.awaitRegistered(timeout);
    }

    /** Bytes in use by written chunks. */
    public long backedBytes() {
        return store.capacity().backed();
    }

    public String transportKind() {
        return loops.kind();
    }

    @Override
    public void close() {
        if (scrubber != null) {
            scrubber.close();
        }
        link.close();
        listener.close();
        loops.close();
        store.clear();
        closeFiles();
    }
}
