package io.remem.cli;

import io.remem.client.RememAdmin;
import io.remem.protocol.ClusterStatus;
import io.remem.transport.HostPort;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code remem status}: what the controller knows right now; an admin sees everything, a tenant only itself. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Show memory nodes, their usage, and tenants, as the controller sees them. With"
                + " --admin-secret-file, the whole cluster; with --tenant (and its secret in REMEM_SECRET), that tenant only.")
final class StatusCommand implements Callable<Integer> {
    static final String SECRET_VARIABLE = TenantConnection.SECRET_VARIABLE;

    @Spec
    CommandSpec spec;

    @Option(names = "--controller", required = true, converter = Converters.Endpoint.class, paramLabel = "HOST:PORT")
    HostPort controller;

    @Option(names = "--admin-secret-file", paramLabel = "FILE", description = "The admin secret: see the whole cluster.")
    Path adminSecretFile;

    @Option(names = "--tenant", paramLabel = "NAME", description = "See this tenant only; its secret is read from "
            + SECRET_VARIABLE + ".")
    String tenant;

    @Mixin
    TlsClientOptions tls;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        if (adminSecretFile != null) {
            AdminConnection admin = new AdminConnection();
            admin.controller = controller;
            admin.adminSecretFile = adminSecretFile;
            admin.tls = tls;
            print(admin.run(RememAdmin::status), out);
        } else if (tenant != null) {
            printTenant(tenantStatus(), out);
        } else {
            throw new IllegalArgumentException("status needs --admin-secret-file (the whole cluster) or --tenant with"
                    + " its secret in " + SECRET_VARIABLE + " (that tenant only)");
        }
        out.flush();
        return 0;
    }

    private ClusterStatus tenantStatus() {
        return new TenantConnection(controller, tenant, tls).status();
    }

    static void printTenant(ClusterStatus status, PrintWriter out) {
        out.printf(Locale.ROOT, "slab size %s%n", Units.bytes(status.slabSize()));
        printTenants(status, out);
    }

    private static void printTenants(ClusterStatus status, PrintWriter out) {
        out.printf(Locale.ROOT, "%-24s %12s %12s %7s%n", "tenant", "quota", "used", "slabs");
        for (ClusterStatus.Tenant t : status.tenants()) {
            out.printf(Locale.ROOT, "%-24s %12s %12s %7d%n", t.name(), Units.bytes(t.quota()), Units.bytes(t.usedBytes()), t.slabs());
        }
        printLeases(status, out);
    }

    /** The runtimes holding memory now: one lease each, and when the controller frees it unless renewed. */
    private static void printLeases(ClusterStatus status, PrintWriter out) {
        out.println();
        if (status.leases().isEmpty()) {
            out.println("no runtime sessions");
            return;
        }
        out.printf(Locale.ROOT, "%-24s %-17s %7s %12s %12s%n", "session of tenant", "lease", "slabs", "bytes", "expires in");
        for (ClusterStatus.Lease l : status.leases()) {
            out.printf(Locale.ROOT, "%-24s %016x %7d %12s %12s%n", l.tenant(), l.id(), l.slabs(), Units.bytes(l.bytes()),
                    l.expiresInMillis() == 0 ? "now" : Units.nanos(l.expiresInMillis() * 1e6));
        }
    }

    static void print(ClusterStatus status, PrintWriter out) {
        out.printf(Locale.ROOT, "slab size %s; %d memory node(s), %d alive%n", Units.bytes(status.slabSize()),
                status.nodes().size(), status.nodes().stream().filter(ClusterStatus.Node::alive).count());
        out.printf(Locale.ROOT, "%-6s %-22s %-6s %10s %10s %10s %7s %10s%n",
                "node", "address", "state", "capacity", "reserved", "in use", "slabs", "last seen");
        for (ClusterStatus.Node n : status.nodes()) {
            out.printf(Locale.ROOT, "%-6d %-22s %-6s %10s %10s %10s %7d %10s%n", n.nodeId(), n.address(),
                    !n.alive() ? "DEAD" : n.draining() ? "drain" : "alive", Units.bytes(n.capacity()), Units.bytes(n.reservedBytes()),
                    n.alive() ? Units.bytes(n.backedBytes()) : "-", n.slabs(),
                    Units.nanos(n.millisSinceHeartbeat() * 1e6) + " ago");
        }
        out.println(repairLine(status.repair()));
        out.println();
        printTenants(status, out);
    }

    /** One line on replication: all well, or how far re-replication and migration have come. */
    static String repairLine(ClusterStatus.Repair r) {
        String quarantine = r.quarantined() == 0 ? "" : "; " + r.quarantined() + " slab(s) QUARANTINED: their only"
                + " copy failed its checksums (docs/operations.md)";
        if (r.done()) {
            return "replication: every slab at its factor" + quarantine + (r.copiedSlabs() > 0
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
        return b.append(quarantine).toString();
    }
}
