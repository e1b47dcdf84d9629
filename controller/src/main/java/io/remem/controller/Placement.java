package io.remem.controller;

import java.util.ArrayList;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * Chooses memory nodes for a new slab by the power of two choices (survey 3.3.3): sample two nodes that could
 * hold it and take the one with more free capacity. Near-best balance, at the cost of two samples instead of
 * a scan. Replicas always go on distinct nodes.
 */
final class Placement {
    private final RandomGenerator random;

    Placement(RandomGenerator random) {
        this.random = random;
    }

    /**
     * Picks {@code replicas} distinct nodes with at least {@code size} free bytes, or returns fewer if there
     * are not enough such nodes.
     */
    List<NodeRecord> choose(List<NodeRecord> nodes, long size, int replicas) {
        List<NodeRecord> candidates = new ArrayList<>();
        for (NodeRecord n : nodes) {
            if (n.placeable() && n.free() >= size) {
                candidates.add(n);
            }
        }
        List<NodeRecord> chosen = new ArrayList<>(replicas);
        while (chosen.size() < replicas && !candidates.isEmpty()) {
            NodeRecord pick = pickOfTwo(candidates);
            chosen.add(pick);
            candidates.remove(pick);
        }
        return chosen;
    }

    private NodeRecord pickOfTwo(List<NodeRecord> candidates) {
        if (candidates.size() == 1) {
            return candidates.getFirst();
        }
        int i = random.nextInt(candidates.size());
        int j = random.nextInt(candidates.size() - 1);
        if (j >= i) {
            j++;
        }
        NodeRecord a = candidates.get(i);
        NodeRecord b = candidates.get(j);
        return a.free() >= b.free() ? a : b;
    }
}
