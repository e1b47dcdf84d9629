package io.remem.controller;

import io.remem.transport.Peer;

/**
 * The controller's view of one memory node. Guarded by the {@link Metadata} lock, except the heartbeat fields,
 * which the node's I/O thread updates.
 */
final class NodeRecord {
    final long id;
    String host;
    int port;
    long capacity;
    /** Sum of the sizes of the slabs placed here, as the controller counts them. */
    long reserved;
    int slabs;
    volatile long backed;
    volatile long lastHeartbeatNanos;
    volatile boolean alive;
    volatile Peer link;
    /** When the node's connection closed, if it has not registered again since; 0 otherwise. */
    volatile long linkLostNanos;
    /** Being emptied ({@code remem memnode drain}): takes no new slabs, and the repairer moves its slabs away. */
    volatile boolean draining;
    /** The node's own public key, to which its id is bound (empty until it first registers with one). */
    byte[] publicKey = new byte[0];

    NodeRecord(long id, String host, int port, long capacity) {
        this.id = id;
        this.host = host;
        this.port = port;
        this.capacity = capacity;
    }

    long free() {
        return capacity - reserved;
    }

    /** A node can take new slabs if it is alive and the controller can reach it. */
    boolean placeable() {
        Peer p = link;
        return alive && !draining && p != null && p.isOpen();
    }

    String address() {
        return host + ":" + port;
    }

    Journal.Node entry() {
        return new Journal.Node(id, host, port, capacity, publicKey, draining);
    }
}
