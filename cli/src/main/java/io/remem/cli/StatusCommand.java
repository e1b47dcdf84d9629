package io.remem.cli;

import io.remem.bench.Units;
import io.remem.client.Remem;
import io.remem.protocol.ClusterStatus;
import io.remem.transport.HostPort;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code remem status}: what the controller knows right now. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show memory nodes, their usage, and tenants, as the controller sees them.")
final class StatusCommand implements Callable<Integer> {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--controller", required = true, converter = Converters.Endpoint.class, paramLabel = "HOST:PORT")
    HostPort controller;

    @Override
    public Integer call() {
        print(Remem.status(controller.toString()), spec.commandLine().getOut());
        spec.commandLine().getOut().flush();
        return 0;
    }

    static void print(ClusterStatus status, PrintWriter out) {
        out.printf(Locale.ROOT, "slab size %s; %d memory node(s), %d alive%n", Units.bytes(status.slabSize()),
                status.nodes().size(), status.nodes().stream().filter(ClusterStatus.Node::alive).count());
        out.printf(Locale.ROOT, "%-6s %-22s %-6s %10s %10s %10s %7s %10s%n",
                "node", "address", "state", "capacity", "reserved", "in use", "slabs", "last seen");
        for (ClusterStatus.Node n : status.nodes()) {
            out.printf(Locale.ROOT, "%-6d %-22s %-6s %10s %10s %10s %7d %10s%n", n.nodeId(), n.address(),
                    !n.alive() ? "DEAD" : n.draining() ? "drain" : "alive", Units.bytes(n.capacity()), Units.bytes(n.reservedBytes()),
                    Units.bytes(n.backedBytes()), n.slabs(), Units.nanos(n.millisSinceHeartbeat() * 1e6) + " ago");
        }
        out.println(repairLine(status.repair()));
        out.println();
        out.printf(Locale.ROOT, "%-24s %12s %12s %7s%n", "tenant", "quota", "used", "slabs");
        for (ClusterStatus.Tenant t : status.tenants()) {
            out.printf(Locale.ROOT, "%-24s %12s %12s %7d%n", t.name(), Units.bytes(t.quota()), Units.bytes(t.usedBytes()), t.slabs());
        }
    }

    /** One line on replication: all well, or how far re-replication and migration have come. */
    static String repairLine(ClusterStatus.Repair r) {
        if (r.done()) {
            return "replication: every slab at its factor" + (r.copiedSlabs() > 0
                    ? " (" + r.copiedSlabs() + " slab(s), " + Units.bytes(r.copiedBytes()) + " copied since the controller started)" : "");
        }
        StringBuilder b = new StringBuilder("re-replication: ").append(r.underReplicated()).append(" slab(s) below their factor");
        if (r.unavailable() > 0) {
            b.append(", ").append(r.unavailable()).append(" with no live replica (waiting for a node to return)");
        }
        if (r.copying() > 0) {
            b.append("; copying ").append(r.copying()).append(" slab(s)");
        }
        b.append(String.format(Locale.ROOT, "; %s of %s copied", Units.bytes(r.copiedBytes()), Units.bytes(r.copyBytes())));
        return b.toString();
    }
}
