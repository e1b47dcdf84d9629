package io.remem.controller;

import io.remem.transport.Peer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class PlacementTest {
    private static final long UNIT = 1L << 20;

    private static LoopbackLinks links;
    private static Peer open;
    private static Peer closed;

    @BeforeAll
    static void startLinks() throws Exception {
        links = new LoopbackLinks();
        open = links.open();
        closed = links.closed();
    }

    @AfterAll
    static void stopLinks() {
        links.close();
    }

    /** A placeable node with {@code freeUnits} of {@code 100} units free. */
    private static NodeRecord node(long id, long freeUnits) {
        return node(id, freeUnits, true, open);
    }

    private static NodeRecord node(long id, long freeUnits, boolean alive, Peer link) {
        NodeRecord n = new NodeRecord(id, "node-" + id, 7000 + (int) id, 100 * UNIT);
        n.reserved = (100 - freeUnits) * UNIT;
        n.alive = alive;
        n.link = link;
        return n;
    }

    private static List<Long> ids(List<NodeRecord> nodes) {
        return nodes.stream().map(n -> n.id).toList();
    }

    @Test
    void neverReturnsTheSameNodeTwice() {
        List<NodeRecord> nodes = List.of(node(1, 50), node(2, 60), node(3, 70), node(4, 80), node(5, 90));
        for (int seed = 0; seed < 500; seed++) {
            Placement p = new Placement(new SplittableRandom(seed));
            for (int replicas = 1; replicas <= 5; replicas++) {
                List<NodeRecord> chosen = p.choose(nodes, UNIT, replicas);
                assertThat(chosen).as("seed %d, %d replicas", seed, replicas).hasSize(replicas).doesNotHaveDuplicates();
            }
            assertThat(p.choose(nodes, UNIT, 5)).containsExactlyInAnyOrderElementsOf(nodes);
        }
    }

    @Test
    void neverReturnsANodeThatIsNotPlaceableOrLacksSpace() {
        NodeRecord ok = node(1, 10);
        NodeRecord exactFit = node(2, 4);                 // free == size: fits
        NodeRecord tooSmall = node(3, 3);                 // one unit short
        NodeRecord full = node(4, 0);
        NodeRecord dead = node(5, 90, false, open);       // the freest, but dead
        NodeRecord unlinked = node(6, 90, true, null);    // alive, but unreachable
        NodeRecord linkClosed = node(7, 90, true, closed);
        NodeRecord ok2 = node(8, 50);
        List<NodeRecord> nodes = List.of(ok, exactFit, tooSmall, full, dead, unlinked, linkClosed, ok2);
        for (int seed = 0; seed < 300; seed++) {
            Placement p = new Placement(new SplittableRandom(seed));
            assertThat(p.choose(nodes, 4 * UNIT, 8)).as("seed %d", seed)
                    .containsExactlyInAnyOrder(ok, exactFit, ok2);
            assertThat(p.choose(nodes, 4 * UNIT, 1)).as("seed %d", seed)
                    .hasSize(1).first().isIn(ok, exactFit, ok2);
        }
    }

    @Test
    void returnsFewerThanAskedWhenThereAreNotEnoughNodes() {
        NodeRecord a = node(1, 30);
        NodeRecord b = node(2, 20);
        List<NodeRecord> nodes = List.of(a, b, node(3, 1), node(4, 90, false, open));
        Placement p = new Placement(new SplittableRandom(3));
        assertThat(p.choose(nodes, 2 * UNIT, 3)).containsExactlyInAnyOrder(a, b);
        assertThat(p.choose(nodes, 2 * UNIT, 8)).containsExactlyInAnyOrder(a, b);
        assertThat(p.choose(nodes, 31 * UNIT, 2)).isEmpty();
        assertThat(p.choose(List.of(), UNIT, 1)).isEmpty();
        assertThat(p.choose(nodes, UNIT, 0)).isEmpty();
    }

    @Test
    void aSingleCandidateIsChosen() {
        NodeRecord only = node(1, 5);
        assertThat(new Placement(new SplittableRandom(1)).choose(List.of(node(2, 90, false, open), only), UNIT, 1))
                .containsExactly(only);
    }

    @Test
    void withTwoCandidatesTheFreerOneAlwaysWins() {
        NodeRecord freer = node(1, 41);
        NodeRecord fuller = node(2, 40);
        for (int seed = 0; seed < 1000; seed++) {
            Placement p = new Placement(new SplittableRandom(seed));
            assertThat(p.choose(List.of(freer, fuller), UNIT, 1)).as("seed %d", seed).containsExactly(freer);
            assertThat(p.choose(List.of(fuller, freer), UNIT, 1)).as("seed %d", seed).containsExactly(freer);
            // Primary first: the freer node is the primary, the other the second replica.
            assertThat(p.choose(List.of(fuller, freer), UNIT, 2)).as("seed %d", seed).containsExactly(freer, fuller);
        }
    }

    @Test
    void prefersNodesWithMoreFreeCapacity() {
        NodeRecord n10 = node(10, 10);
        NodeRecord n20 = node(20, 20);
        NodeRecord n30 = node(30, 30);
        NodeRecord n40 = node(40, 40);
        List<NodeRecord> nodes = List.of(n20, n40, n10, n30);
        Placement p = new Placement(new SplittableRandom(20240601L));
        Map<NodeRecord, Integer> counts = new HashMap<>();
        int trials = 60_000;
        for (int i = 0; i < trials; i++) {
            List<NodeRecord> chosen = p.choose(nodes, UNIT, 1);
            assertThat(chosen).hasSize(1);
            counts.merge(chosen.getFirst(), 1, Integer::sum);
        }
        int c10 = counts.getOrDefault(n10, 0);
        int c20 = counts.getOrDefault(n20, 0);
        int c30 = counts.getOrDefault(n30, 0);
        int c40 = counts.getOrDefault(n40, 0);
        assertThat(c40).isGreaterThan(c30);
        assertThat(c30).isGreaterThan(c20);
        assertThat(c20).isGreaterThan(c10);
        // Two distinct nodes out of four, the freer one wins: of the 6 equally likely pairs, the 40-unit node is
        // in 3, the 30-unit node beats 2 others, the 20-unit node 1, and the 10-unit node never wins.
        assertThat((double) c40 / trials).isCloseTo(3.0 / 6, within(0.02));
        assertThat((double) c30 / trials).isCloseTo(2.0 / 6, within(0.02));
        assertThat((double) c20 / trials).isCloseTo(1.0 / 6, within(0.02));
        assertThat(c10).isZero();
    }

    @Test
    void everyNodeThatCanWinIsChosenSometimes() {
        // Power of two choices is randomised: it must not degenerate into always picking the single freest node.
        List<NodeRecord> nodes = new ArrayList<>();
        for (int i = 1; i <= 8; i++) {
            nodes.add(node(i, 10 * i));
        }
        Placement p = new Placement(new SplittableRandom(99));
        Set<Long> seen = new HashSet<>();
        for (int i = 0; i < 5000; i++) {
            seen.addAll(ids(p.choose(nodes, UNIT, 1)));
        }
        assertThat(seen).containsExactlyInAnyOrder(2L, 3L, 4L, 5L, 6L, 7L, 8L);
    }

    @Test
    void theSameSeedGivesTheSameChoices() {
        List<NodeRecord> nodes = List.of(node(1, 10), node(2, 20), node(3, 30), node(4, 40), node(5, 50));
        Placement a = new Placement(new SplittableRandom(5));
        Placement b = new Placement(new SplittableRandom(5));
        for (int i = 0; i < 200; i++) {
            assertThat(ids(a.choose(nodes, UNIT, 3))).isEqualTo(ids(b.choose(nodes, UNIT, 3)));
        }
    }

    @Test
    void doesNotModifyTheNodesOrTheList() {
        NodeRecord a = node(1, 10);
        NodeRecord b = node(2, 20);
        List<NodeRecord> nodes = new ArrayList<>(List.of(a, b));
        new Placement(new SplittableRandom(1)).choose(nodes, UNIT, 2);
        assertThat(nodes).containsExactly(a, b);
        assertThat(a.free()).isEqualTo(10 * UNIT);
        assertThat(b.free()).isEqualTo(20 * UNIT);
    }
}
