package io.remem.memnode;

import io.remem.transport.Connections;
import io.remem.transport.EventLoops;
import io.remem.transport.HostPort;
import io.remem.transport.Peer;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A running memory node: a slab store served to clients on one port, registered with a controller.
 * Start one with {@link #start}; {@link #close} stops serving and frees every slab's memory. With a data directory,
 * slabs live in memory-mapped files there and are found again by the next start.
 */
public final class MemNode implements AutoCloseable {
    private final SlabFiles files;
    private final SlabStore store;
    private final Map<Integer, Peer> sessions = new ConcurrentHashMap<>();
    private final EventLoops loops;
    private final Connections.Listener listener;
    private final ControllerLink link;
    private final HostPort advertised;

    private MemNode(MemNodeConfig config) {
        this.files = config.dataDir() == null ? null : SlabFiles.open(config.dataDir());
        this.store = new SlabStore(config.capacity(), files);
        try {
            store.recover();
        } catch (RuntimeException e) {
            closeFiles();
            throw e;
        }
        this.loops = EventLoops.create("remem-memnode", config.ioThreads());
        RecentOps recent = new RecentOps();
        try {
            this.listener = Connections.listen(loops, config.listen().host(), config.listen().port(),
                    () -> new DataService(store, sessions, recent), "memnode", config.callTimeout());
        } catch (RuntimeException e) {
            loops.close();
            store.clear();
            closeFiles();
            throw e;
        }
        this.advertised = new HostPort(config.advertisedHost(), listener.port());
        this.link = new ControllerLink(config, loops, store, listener.port(), files);
    }

    private void closeFiles() {
        if (files != null) {
            files.close();
        }
    }

    /** Binds the data port and starts registering with the controller in the background. */
    public static MemNode start(MemNodeConfig config) {
        MemNode node = new MemNode(config);
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
