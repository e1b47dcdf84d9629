package io.remem.cli;

import io.remem.protocol.ClusterStatus;
import io.remem.protocol.TenantName;
import io.remem.protocol.RememException;
import io.remem.protocol.auth.Secret;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code remem tenant}: who may use the cluster, with what secrets and how much memory. Admin only. */
@Command(name = "tenant", mixinStandardHelpOptions = true,
        description = "Manage tenants: add, list, remove, set quotas, and add or revoke their secrets. Needs the admin secret.",
        subcommands = {TenantCommand.Add.class, TenantCommand.List.class, TenantCommand.Remove.class,
                TenantCommand.Quota.class, TenantCommand.SecretCommand.class})
final class TenantCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static String name(String name) {
        try {
            return TenantName.check(name);
        } catch (RememException e) {
            throw new IllegalArgumentException("NAME: " + e.detail());
        }
    }

    /** Prints a new secret, once, with what to do with it; the copy is cleared afterwards. */
    static void printSecret(PrintWriter out, Secret secret) {
        char[] text = secret.reveal();
        out.println("secret " + secret.keyId() + " (shown only now; the controller keeps only a verifier of it):");
        out.println(text);
        out.println("give it to the tenant's applications as RememOptions.secret(...), or as REMEM_SECRET to the CLI");
        Arrays.fill(text, '\0');
        out.flush();
    }

    @Command(name = "add", mixinStandardHelpOptions = true,
            description = "Create a tenant with a new secret, which is printed once.")
    static final class Add implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        AdminConnection admin;
        @Parameters(index = "0", paramLabel = "NAME", description = "1-64 of [A-Za-z0-9._-], starting with a letter or digit.")
        String name;
        @Option(names = "--quota", converter = Converters.Bytes.class, paramLabel = "SIZE",
                description = "Slab bytes it may hold (default: the controller's --default-quota).")
        Long quota;

        @Override
        public Integer call() {
            String n = name(name);
            Secret secret = admin.run(a -> a.addTenant(n, quota == null ? -1 : quota));
            PrintWriter out = spec.commandLine().getOut();
            out.println("tenant " + n + " added" + (quota == null ? "" : " with a quota of " + Units.bytes(quota)));
            printSecret(out, secret);
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Every tenant: quota, use and secrets' key ids.")
    static final class List implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        AdminConnection admin;

        @Override
        public Integer call() {
            java.util.List<ClusterStatus.Tenant> tenants = admin.run(a -> a.tenants());
            PrintWriter out = spec.commandLine().getOut();
            out.printf(Locale.ROOT, "%-24s %12s %12s %7s  %s%n", "tenant", "quota", "used", "slabs", "secrets");
            for (ClusterStatus.Tenant t : tenants) {
                out.printf(Locale.ROOT, "%-24s %12s %12s %7d  %s%n", t.name(), Units.bytes(t.quota()),
                        Units.bytes(t.usedBytes()), t.slabs(), t.keyIds().isEmpty() ? "(none: cannot log in)"
                                : String.join(" ", t.keyIds()));
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "remove", mixinStandardHelpOptions = true,
            description = "Remove a tenant. One that holds memory is removed only with --force, which frees it.")
    static final class Remove implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        AdminConnection admin;
        @Parameters(index = "0", paramLabel = "NAME")
        String name;
        @Option(names = "--force", description = "Free every slab the tenant holds; its applications lose that memory.")
        boolean force;

        @Override
        public Integer call() {
            String n = name(name);
            admin.run(a -> {
                a.removeTenant(n, force);
                return null;
            });
            spec.commandLine().getOut().println("tenant " + n + " removed");
            spec.commandLine().getOut().flush();
            return 0;
        }
    }

    @Command(name = "quota", mixinStandardHelpOptions = true, description = "Set a tenant's quota of slab bytes.")
    static final class Quota implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Mixin
        AdminConnection admin;
        @Parameters(index = "0", paramLabel = "NAME")
        String name;
        @Parameters(index = "1", paramLabel = "SIZE", converter = Converters.Bytes.class)
        long quota;

        @Override
        public Integer call() {
            String n = name(name);
            admin.run(a -> {
                a.setQuota(n, quota);
                return null;
            });
            spec.commandLine().getOut().println("tenant " + n + " may now hold " + Units.bytes(quota));
            spec.commandLine().getOut().flush();
            return 0;
        }
    }

    @Command(name = "secret", mixinStandardHelpOptions = true,
            description = "Rotate a tenant's secret: add a new one, move its applications to it, revoke the old one.",
            subcommands = {SecretCommand.AddSecret.class, SecretCommand.Revoke.class})
    static final class SecretCommand implements Runnable {
        @Spec
        CommandSpec spec;

        @Override
        public void run() {
            spec.commandLine().usage(spec.commandLine().getOut());
        }

        @Command(name = "add", mixinStandardHelpOptions = true,
                description = "Give a tenant one more secret, printed once; the old ones keep working until revoked.")
        static final class AddSecret implements Callable<Integer> {
            @Spec
            CommandSpec spec;
            @Mixin
            AdminConnection admin;
            @Parameters(index = "0", paramLabel = "NAME")
            String name;

            @Override
            public Integer call() {
                String n = name(name);
                Secret secret = admin.run(a -> a.addTenantSecret(n));
                PrintWriter out = spec.commandLine().getOut();
                out.println("tenant " + n + " has a new secret");
                printSecret(out, secret);
                return 0;
            }
        }

        @Command(name = "revoke", mixinStandardHelpOptions = true,
                description = "Revoke one of a tenant's secrets by key id (see `remem tenant list`). Sessions already"
                        + " open keep working; new ones cannot use it.")
        static final class Revoke implements Callable<Integer> {
            @Spec
            CommandSpec spec;
            @Mixin
            AdminConnection admin;
            @Parameters(index = "0", paramLabel = "NAME")
            String name;
            @Parameters(index = "1", paramLabel = "KEYID")
            String keyId;

            @Override
            public Integer call() {
                String n = name(name);
                admin.run(a -> {
                    a.revokeTenantSecret(n, keyId);
                    return null;
                });
                spec.commandLine().getOut().println("tenant " + n + "'s secret " + keyId + " is revoked");
                spec.commandLine().getOut().flush();
                return 0;
            }
        }
    }
}
