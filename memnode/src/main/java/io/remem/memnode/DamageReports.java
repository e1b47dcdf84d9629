package io.remem.memnode;

import io.remem.protocol.NodeRegister;
import io.remem.protocol.Opcode;
import io.remem.protocol.SlabDamaged;
import io.remem.transport.Peer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What this node must tell the controller about its copies' integrity (SLAB_DAMAGED): a copy quarantined, or one the
 * controller had checked again that passed or failed. A report stays here until the controller acknowledges it, or a
 * registration carried the same news (a slab listed DAMAGED), so a dropped link loses none: it goes out once the node
 * has registered again.
 */
final class DamageReports {
    private static final Logger log = LoggerFactory.getLogger(DamageReports.class);
    private static final int MAX_DETAIL = 1000;

    /** The latest report per slab not yet acknowledged. */
    private final Map<Long, SlabDamaged> pending = new ConcurrentHashMap<>();
    /** Reports on their way, so a flush does not send one twice. */
    private final Map<Long, SlabDamaged> sending = new ConcurrentHashMap<>();
    /** The link to the controller once this node has registered on it; null between registrations. */
    private volatile Peer link;

    /** Queues a report on {@code slabId} and sends it if the node is registered. */
    void report(long slabId, boolean damaged, String detail) {
        // Well inside the protocol's string limit, whatever paths the detail names.
        String d = detail.length() > MAX_DETAIL ? detail.substring(0, MAX_DETAIL) + "..." : detail;
        pending.put(slabId, new SlabDamaged(damaged, d));
        flush();
    }

    /**
     * The node registered on {@code p}, listing {@code held}: a slab listed DAMAGED was reported by that, so a pending
     * report of its damage is dropped; a report that a slab passed its checks is still sent, for the controller to
     * lift its quarantine. Call before applying the registration's answer.
     */
    void registered(List<NodeRegister.HeldSlab> held, Peer p) {
        for (NodeRegister.HeldSlab h : held) {
            SlabDamaged r = pending.get(h.slabId());
            if (r != null && r.damaged() && h.damaged()) {
                pending.remove(h.slabId(), r);
            }
        }
        link = p;
        flush();
    }

    /** The link to the controller is gone; reports wait for the next registration. */
    void disconnected() {
        link = null;
    }

    /** Sends every pending report not already on its way; those that fail are sent again on the next flush. */
    void flush() {
        Peer p = link;
        if (p == null || !p.isOpen()) {
            return;
        }
        for (Map.Entry<Long, SlabDamaged> e : pending.entrySet()) {
            long slabId = e.getKey();
            SlabDamaged r = e.getValue();
            if (sending.putIfAbsent(slabId, r) != null) {
                continue;
            }
            p.call(Opcode.SLAB_DAMAGED, slabId, 0, 0, 16 + 3 * r.detail().length(), r::encode, (h, body) -> null)
                    .whenComplete((ok, failure) -> {
                        sending.remove(slabId, r);
                        if (failure == null) {
                            pending.remove(slabId, r);
                        } else {
                            log.debug("reporting slab {} to the controller failed ({}); it is sent again", slabId,
                                    failure.toString());
                        }
                    });
        }
    }

    /** Reports not yet acknowledged, by slab; for tests. */
    Map<Long, SlabDamaged> pending() {
        return Map.copyOf(pending);
    }
}
