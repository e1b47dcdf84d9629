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

/**
 * A running memory node: a slab store served to clients on one port, registered with a controller.
 * Start one with {@link #start}; {@link #close} stops serving and frees every slab's memory. With a data directory,
 * slabs live in memory-mapped files there and are found again by the next start.
 */
public final class MemNode implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MemNode.class);

    private final SlabFiles files;
    private final SlabStore store;
    private final EventLoops loops;
    private final Connections.Listener listener;
    private final ControllerLink link;
    private final HostPort advertised;

    private MemNode(MemNodeConfig config, Clock clock) {
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
        this.store = new SlabStore(config.capacity(), files);
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
        this.link = new ControllerLink(config, loops, store, listener.port(), files, identity, clientTls);
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
        MemNode node = new MemNode(config, clock);
        node.link.start();
        return node;
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
        link.close();
        listener.close();
        loops.close();
        store.clear();
        closeFiles();
    }
}
