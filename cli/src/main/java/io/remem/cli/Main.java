package io.remem.cli;

import io.remem.protocol.RememException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.ServiceLoader;
import java.util.Set;

/**
 * The {@code remem} command. The server's commands are here; {@code demo}, {@code bench} and {@code jmh} come from the
 * full jar through a {@link CommandProvider}, so the server jar carries no benchmark dependencies.
 */
@Command(name = "remem",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "remem: disaggregated memory for the JVM.%n"
                + "Memory nodes pool their RAM, a controller manages the pool, applications use it through a local cache.",
        subcommands = {
                ControllerCommand.class,
                MemNodeCommand.class,
                StatusCommand.class,
                TenantCommand.class,
                DatasetCommand.class
        })
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit code. */
    public static int run(String... args) {
        Logging.configure(args);
        return execute(commandLine(), args);
    }

    /** Runs {@code args} on {@code cli}, saying where a command of the full jar is when this jar lacks it. */
    public static int execute(CommandLine cli, String... args) {
        if (args.length > 0 && FULL_JAR_COMMANDS.contains(args[0]) && !cli.getSubcommands().containsKey(args[0])) {
            cli.getErr().println("remem " + args[0] + ": not in this jar, the server jar (remem-server.jar), which"
                    + " carries no benchmark dependencies; run it with ./remem or from the full jar, bench/target/remem.jar");
            return 2;
        }
        return cli.execute(args);
    }

    /** What the full jar adds, named so the server jar can say where to find them. */
    private static final Set<String> FULL_JAR_COMMANDS = Set.of("demo", "bench", "jmh");

    /**
     * The command line with every command on the class path and remem's error handling: a known error prints one line
     * naming what was wrong.
     */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        for (CommandProvider provider : ServiceLoader.load(CommandProvider.class)) {
            for (Object command : provider.commands()) {
                cli.addSubcommand(command);
            }
        }
        cli.addSubcommand(new CommandLine.HelpCommand());
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            if (ex instanceof RememException || ex instanceof IllegalArgumentException) {
                cmd.getErr().println("remem " + cmd.getCommandName() + ": " + ex.getMessage());
                return 1;
            }
            throw ex;
        });
        return cli;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Reports the version from the jar manifest, or "development" when run from classes. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"remem " + (v == null ? "0.1.0-SNAPSHOT" : v),
                    "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")"};
        }
    }
}
