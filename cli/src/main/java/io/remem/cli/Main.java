package io.remem.cli;

import io.remem.protocol.RememException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code remem} command. */
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
                DatasetCommand.class,
                DemoCommand.class,
                BenchCommand.class,
                JmhCommand.class,
                CommandLine.HelpCommand.class
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
        return commandLine().execute(args);
    }

    /** The command line with remem's error handling: a known error prints one line naming what was wrong. */
    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
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
