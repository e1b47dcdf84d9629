package io.remem.cli;

import io.remem.client.Dataset;
import io.remem.client.DatasetOptions;
import io.remem.client.RememAdmin;
import io.remem.protocol.DatasetAccess;
import io.remem.protocol.DatasetInfo;
import io.remem.protocol.DatasetMode;
import io.remem.protocol.DatasetName;
import io.remem.protocol.Limits;
import io.remem.protocol.RememException;
import io.remem.protocol.TenantName;
import io.remem.transport.HostPort;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.stream.Collectors;

/** {@code remem dataset}: named far memory that outlives the runtimes that use it. */
@Command(name = "dataset", mixinStandardHelpOptions = true,
        description = "Manage named datasets: list, create, grow, show, delete, grant and revoke them. As a tenant (--tenant,"
                + " secret in REMEM_SECRET) for its own datasets and those granted to it, or as the admin"
                + " (--admin-secret-file) for every tenant's.",
        subcommands = {DatasetCommand.List.class, DatasetCommand.Create.class, DatasetCommand.Grow.class,
                DatasetCommand.Info.class,
                DatasetCommand.Delete.class, DatasetCommand.Grant.class, DatasetCommand.Revoke.class})
final class DatasetCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Who is asking: a tenant, or the admin. */
    static final class Caller {
        @Option(names = "--controller", required = true, converter = Converters.Endpoint.class, paramLabel = "HOST:PORT",
                description = "Where the controller is.")
        HostPort controller;

        @Option(names = "--tenant", paramLabel = "NAME",
                description = "Act as this tenant, whose secret is read from " + TenantConnection.SECRET_VARIABLE + ".")
        String tenant;

        @Option(names = "--admin-secret-file", paramLabel = "FILE",
                description = "Act as the admin: every tenant's datasets.")
        Path adminSecretFile;

        @Mixin
        TlsClientOptions tls;

        boolean admin() {
            if ((tenant == null) == (adminSecretFile == null)) {
                throw new IllegalArgumentException("give either --tenant (with its secret in "
                        + TenantConnection.SECRET_VARIABLE + ") or --admin-secret-file");
            }
            return adminSecretFile != null;
        }

        TenantConnection tenant() {
            return new TenantConnection(controller, TenantCommand.name(tenant), tls);
        }

        <T> T asAdmin(Function<RememAdmin, T> work) {
            if (!Files.isReadable(adminSecretFile)) {
                throw new IllegalArgumentException("--admin-secret-file: cannot read " + adminSecretFile);
            }
            AdminConnection a = new AdminConnection();
            a.controller = controller;
            a.adminSecretFile = adminSecretFile;
            a.tls = tls;
            return a.run(work);
        }

        java.util.List<DatasetInfo> list() {
            return admin() ? asAdmin(RememAdmin::datasets) : tenant().inSession(s -> s.memory().datasets());
        }
    }

    /** The checked NAME of a dataset the calling tenant is to {@code verb} with SIZE bytes; never the admin's. */
    static String ownDataset(Caller caller, String name, long size, String verb) {
        if (caller.admin()) {
            throw new IllegalArgumentException("--admin-secret-file: a dataset belongs to a tenant, and only that tenant"
                    + " may " + verb + " it; use --tenant");
        }
        if (size <= 0) {
            throw new IllegalArgumentException("SIZE: must be positive");
        }
        return datasetName(name);
    }

    static String datasetName(String name) {
        try {
            return DatasetName.check(name);
        } catch (RememException e) {
            throw new IllegalArgumentException("NAME: " + e.detail());
        }
    }

    static void print(java.util.List<DatasetInfo> list, PrintWriter out) {
        if (list.isEmpty()) {
            out.println("no datasets");
            return;
        }
        out.printf(Locale.ROOT, "%-24s %-32s %12s %7s %5s %7s  %s%n", "owner", "dataset", "size", "copies", "mode",
                "open by", "granted to");
        for (DatasetInfo d : list) {
            String grants = d.grants().entrySet().stream()
                    .map(g -> g.getKey() + (g.getValue() == DatasetAccess.READ ? " (read)" : " (read-write)"))
                    .collect(Collectors.joining(", "));
            out.printf(Locale.ROOT, "%-24s %-32s %12s %7d %5s %7d  %s%n", d.owner(), d.name(), Units.bytes(d.bytes()),
                    d.replication(), d.mode().name().toLowerCase(Locale.ROOT), d.openBy(), grants.isEmpty() ? "-" : grants);
        }
    }

    @Command(name = "grant", mixinStandardHelpOptions = true,
            description = "Let another tenant open one of this tenant's datasets (--tenant only).")
    static final class Grant implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        Caller caller;
        @Parameters(index = "0", paramLabel = "NAME", description = "The dataset.")
        String name;
        @Parameters(index = "1", paramLabel = "TENANT", description = "The tenant to grant it to.")
        String grantee;
        @Option(names = "--access", defaultValue = "read", paramLabel = "read|read-write",
                description = "What the tenant may do (default: ${DEFAULT-VALUE}).")
        String access;

        @Override
        public Integer call() {
            DatasetAccess a = switch (access) {
                case "read" -> DatasetAccess.READ;
                case "read-write" -> DatasetAccess.READ_WRITE;
                default -> throw new IllegalArgumentException("--access: " + access + " is neither read nor read-write");
            };
            change(spec, caller, name, grantee, a, "granted dataset %s to tenant %s (" + access + ")");
            return 0;
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true,
            description = "Take back a grant: new opens are refused at once; sessions that have the dataset open keep"
                    + " their access until their grant expires (--token-ttl).")
    static final class Revoke implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        Caller caller;
        @Parameters(index = "0", paramLabel = "NAME", description = "The dataset.")
        String name;
        @Parameters(index = "1", paramLabel = "TENANT", description = "The tenant to take it from.")
        String grantee;

        @Override
        public Integer call() {
            change(spec, caller, name, grantee, DatasetAccess.NONE, "revoked dataset %s from tenant %s");
            return 0;
        }
    }

    private static void change(CommandSpec spec, Caller caller, String name, String grantee, DatasetAccess access,
                               String done) {
        if (caller.admin()) {
            throw new IllegalArgumentException("--admin-secret-file: only the dataset's owner grants it; use --tenant");
        }
        String n = datasetName(name);
        String g = TenantCommand.name(grantee);
        caller.tenant().inSession(s -> {
            s.memory().grantDataset(n, g, access);
            return null;
        });
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, done + "%n", n, g);
        out.flush();
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List datasets, their sizes and users.")
    static final class List implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        Caller caller;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            print(caller.list(), out);
            out.flush();
            return 0;
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
            description = "Create a dataset of SIZE zero bytes for the tenant (--tenant only).")
    static final class Create implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        Caller caller;
        @Parameters(index = "0", paramLabel = "NAME", description = "1-128 of [A-Za-z0-9._-], starting with a letter or digit.")
        String name;
        @Parameters(index = "1", paramLabel = "SIZE", converter = Converters.Bytes.class, description = "Its size, e.g. 1g.")
        long size;
        @Option(names = "--replication", paramLabel = "N", defaultValue = "0",
                description = "Copies of each slab, 1-8 (default: the cluster's, 2 where two memory nodes are alive).")
        int replication;
        @Option(names = "--mode", paramLabel = "none|mrsw|mrmw", defaultValue = "none",
                description = "Coherence between runtimes: none (cached, no coherence), mrsw (acquire/commit, one writer"
                        + " per stripe), mrmw (optimistic writers, conflicting commits refused). Default: ${DEFAULT-VALUE}.")
        String mode;
        @Option(names = "--growable", description = "Reserve whole slabs, so that 'remem dataset grow' can grow it past"
                + " its last slab.")
        boolean growable;

        @Override
        public Integer call() {
            String n = ownDataset(caller, name, size, "create");
            if (replication < 0 || replication > Limits.MAX_REPLICATION) {
                throw new IllegalArgumentException("--replication: " + replication + " is outside 0.."
                        + Limits.MAX_REPLICATION + " (0: the cluster's default)");
            }
            DatasetMode m = switch (mode.toLowerCase(Locale.ROOT)) {
                case "none" -> DatasetMode.NONE;
                case "mrsw" -> DatasetMode.MRSW;
                case "mrmw" -> DatasetMode.MRMW;
                default -> throw new IllegalArgumentException("--mode: " + mode + " is not none, mrsw or mrmw");
            };
            DatasetOptions options = DatasetOptions.create(size).exclusive().mode(m);
            options = growable ? options.growable() : options;
            DatasetOptions o = replication > 0 ? options.replication(replication) : options;
            String made = caller.tenant().inSession(s -> {
                try (Dataset d = s.memory().dataset(n, o)) {
                    return d.toString();
                }
            });
            PrintWriter out = spec.commandLine().getOut();
            out.println("created " + made);
            out.flush();
            return 0;
        }
    }

    @Command(name = "grow", mixinStandardHelpOptions = true,
            description = "Grow one of the tenant's datasets to SIZE bytes (--tenant only); its bytes stay where they are,"
                    + " and runtimes that have it open see the new size when they refresh or open it again.")
    static final class Grow implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        Caller caller;
        @Parameters(index = "0", paramLabel = "NAME", description = "The dataset.")
        String name;
        @Parameters(index = "1", paramLabel = "SIZE", converter = Converters.Bytes.class,
                description = "Its new size, e.g. 2g; no smaller than it is.")
        long size;

        @Override
        public Integer call() {
            String n = ownDataset(caller, name, size, "grow");
            String grown = caller.tenant().inSession(s -> {
                try (Dataset d = s.memory().dataset(n, DatasetOptions.open())) {
                    if (size < d.byteSize()) {
                        throw new IllegalArgumentException("SIZE: dataset " + n + " holds " + d.byteSize()
                                + " bytes; a dataset never shrinks");
                    }
                    d.grow(size);
                    return d.toString();
                }
            });
            PrintWriter out = spec.commandLine().getOut();
            out.println("grew " + grown);
            out.flush();
            return 0;
        }
    }

    @Command(name = "info", mixinStandardHelpOptions = true, description = "Show one dataset.")
    static final class Info implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        Caller caller;
        @Parameters(index = "0", paramLabel = "NAME", description = "The dataset; OWNER/NAME as the admin.")
        String name;

        @Override
        public Integer call() {
            String[] ref = reference(name, caller);
            java.util.List<DatasetInfo> found = caller.list().stream()
                    .filter(d -> d.owner().equals(ref[0]) && d.name().equals(ref[1])).toList();
            if (found.isEmpty()) {
                throw new IllegalArgumentException("NAME: tenant " + ref[0] + " has no dataset " + ref[1]);
            }
            PrintWriter out = spec.commandLine().getOut();
            print(found, out);
            out.flush();
            return 0;
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = "Delete a dataset and free its memory. Refused while a runtime has it open, unless --force.")
    static final class Delete implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        Caller caller;
        @Parameters(index = "0", paramLabel = "NAME", description = "The dataset; OWNER/NAME as the admin.")
        String name;
        @Option(names = "--force", description = "Delete it even while runtimes have it open; their accesses then fail.")
        boolean force;

        @Override
        public Integer call() {
            String[] ref = reference(name, caller);
            if (caller.admin()) {
                caller.asAdmin(a -> {
                    a.deleteDataset(ref[0], ref[1], force);
                    return null;
                });
            } else {
                caller.tenant().inSession(s -> {
                    s.memory().deleteDataset(ref[1], force);
                    return null;
                });
            }
            PrintWriter out = spec.commandLine().getOut();
            out.println("deleted dataset " + ref[1] + " of tenant " + ref[0]);
            out.flush();
            return 0;
        }
    }

    /** {owner, name}: a tenant names its own dataset, the admin names OWNER/NAME. */
    static String[] reference(String name, Caller caller) {
        if (caller.admin()) {
            int slash = name.indexOf('/');
            if (slash < 0) {
                throw new IllegalArgumentException("NAME: as the admin, name the dataset OWNER/NAME");
            }
            return new String[] {TenantCommand.name(name.substring(0, slash)), datasetName(name.substring(slash + 1))};
        }
        return new String[] {TenantCommand.name(caller.tenant), datasetName(name)};
    }
}
