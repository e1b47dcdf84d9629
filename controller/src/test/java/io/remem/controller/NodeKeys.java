package io.remem.controller;

import io.remem.protocol.NodeRegister;
import io.remem.protocol.auth.NodeKey;
import io.remem.transport.Peer;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Registers memory nodes with {@link Metadata} the way real ones do: each node has its own Ed25519 key pair, signs its
 * NODE_REGISTER over the session's binding, and presents the same key every time it returns under its id. One instance
 * per test remembers which key each id is bound to, across the test's restarts of the metadata.
 */
final class NodeKeys {
    /** Stands in for a session's binding; any 32 bytes do, as long as the signature and the check use the same. */
    static final byte[] BINDING = Arrays.copyOf("controller test session binding".getBytes(StandardCharsets.US_ASCII), 32);

    private final Map<Long, KeyPair> keys = new HashMap<>();

    /** A registration of {@code nodeId} (0 for a new node) signed by {@code key} over {@link #BINDING}. */
    static NodeRegister signed(KeyPair key, long nodeId, String host, int port, long capacity,
                               List<NodeRegister.HeldSlab> held) {
        return new NodeRegister(nodeId, host, port, capacity, NodeKey.encodePublic(key),
                NodeKey.sign(key, BINDING, nodeId), held);
    }

    /** Registers a node that never registered before, with a key of its own. */
    NodeRecord registerNew(Metadata m, String host, int port, long capacity, Peer link) {
        KeyPair key = NodeKey.generate();
        NodeRecord n = m.register(signed(key, 0, host, port, capacity, List.of()), link, BINDING);
        keys.put(n.id, key);
        return n;
    }

    /** Registers node {@code id} again, signed with the key its id is bound to. */
    NodeRecord registerAgain(Metadata m, long id, String host, int port, long capacity, Peer link) {
        KeyPair key = keyOf(id);
        NodeRecord n = m.register(signed(key, id, host, port, capacity, List.of()), link, BINDING);
        keys.put(n.id, key);
        return n;
    }

    /** The key node {@code id} registered with. */
    KeyPair keyOf(long id) {
        KeyPair key = keys.get(id);
        if (key == null) {
            throw new AssertionError("node " + id + " was never registered in this test");
        }
        return key;
    }
}
