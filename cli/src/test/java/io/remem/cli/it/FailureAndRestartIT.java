package io.remem.cli.it;

import io.remem.client.FarSegment;
import io.remem.client.Remem;
import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import io.remem.protocol.ClusterStatus;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.RememException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Real kills (SIGKILL) of controller and memory node processes. */
class FailureAndRestartIT {
    @TempDir
    Path dir;

    @Test
    void aRestartedControllerRecoversItsMetadataAndClientsCarryOn() throws Exception {
        try (ProcessCluster cluster = ProcessCluster.start(dir, 2, "256m", "--slab-size", "16m");
             RememSession s = cluster.connect(RememOptions.builder().tenant("survivor").cacheBytes(1 << 20).build())) {
            FarSegment seg = s.memory().allocate(40L << 20); // a run of three slabs
            for (long off = 0; off < seg.byteSize(); off += 4096) {
                seg.set(ValueLayout.JAVA_LONG, off, off + 1);
            }
            s.memory().flush();
            ClusterStatus before = cluster.status();

            // A restarted controller presumes the nodes it knew alive until they register or time out: wait for
            // them to register, or an allocation right after may find one still presumed and not placeable.
            String registered = "registered with controller";
            List<Long> registrations = cluster.nodes().stream().map(n -> n.count(registered)).toList();
            cluster.controller().kill();
            cluster.startController();
            for (int i = 0; i < registrations.size(); i++) {
                cluster.nodes().get(i).awaitMore(registered, registrations.get(i), ProcessCluster.START);
            }
            ClusterStatus after = cluster.awaitLiveNodes(2);

            assertThat(after.tenants()).as("tenants and their usage come back from the journal")
                    .contains(before.tenants().toArray(new ClusterStatus.Tenant[0]));
            assertThat(after.nodes()).extracting(ClusterStatus.Node::nodeId)
                    .containsExactlyInAnyOrderElementsOf(before.nodes().stream().map(ClusterStatus.Node::nodeId).toList());
            assertThat(after.nodes()).extracting(ClusterStatus.Node::reservedBytes)
                    .containsExactlyInAnyOrderElementsOf(before.nodes().stream().map(ClusterStatus.Node::reservedBytes).toList());
            // The memory nodes kept the data, and the runtime reconnects to the new controller on demand.
            for (long off = 0; off < seg.byteSize(); off += 4096) {
                assertThat(seg.get(ValueLayout.JAVA_LONG, off)).isEqualTo(off + 1);
            }
            FarSegment more = s.memory().allocate(1L << 20);
            long first = seg.address() >>> after.slabShift();
            assertThat(LongStream.rangeClosed(first, first + 2)).as("the recovered slabs' ids are not handed out again")
                    .doesNotContain(more.address() >>> after.slabShift());
            more.free();
            seg.free();
        }
    }

    @Test
    void aKilledMemoryNodeIsMarkedDeadAndItsSlabsAreNotPlacedAgain() throws Exception {
        try (ProcessCluster cluster = ProcessCluster.start(dir, 2, "64m", "--slab-size", "16m");
             RememSession s = cluster.connect(RememOptions.builder().tenant("victim").cacheBytes(1 << 20).build())) {
            RememProcess doomed = cluster.nodes().get(1);
            int doomedPort = Integer.parseInt(doomed.await("on \\S+:(\\d+)", ProcessCluster.START));
            long doomedId = cluster.status().nodes().stream()
                    .filter(n -> n.port() == doomedPort).findFirst().orElseThrow().nodeId();
            doomed.kill();
            ClusterStatus status = cluster.awaitStatus(
                    st -> st.nodes().stream().anyMatch(n -> n.nodeId() == doomedId && !n.alive()), "node " + doomedId + " dead");
            assertThat(status.nodes().stream().filter(ClusterStatus.Node::alive).count()).isEqualTo(1);
            // New slabs go to the survivor only; once it is full, allocation fails cleanly.
            FarSegment a = s.memory().allocate(48L << 20);
            a.set(ValueLayout.JAVA_LONG, 0, 7);
            assertThatThrownBy(() -> s.memory().allocate(32L << 20))
                    .isInstanceOf(RememException.class)
                    .satisfies(e -> assertThat(((RememException) e).code()).isEqualTo(ErrorCode.CLUSTER_OUT_OF_CAPACITY))
                    .hasMessageContaining("1 live node");
            a.free();
        }
    }
}
