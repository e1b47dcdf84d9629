package io.remem.bench.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code remem jmh}: the JMH microbenchmarks built into this jar, with JMH's own options. */
@Command(name = "jmh",
        description = "Run the JMH microbenchmarks (hit path, miss path). Arguments go to JMH, e.g. 'HitBenchmark -f 1'."
                + " Try 'remem jmh -l' to list them and 'remem jmh -h' for JMH's own help.")
final class JmhCommand implements Callable<Integer> {
    @Unmatched
    List<String> args = new ArrayList<>();

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (args.contains("--help")) {
            spec.commandLine().usage(spec.commandLine().getOut());
            spec.commandLine().getOut().println("\nJMH's own options follow (remem jmh -h):");
            spec.commandLine().getOut().flush();
            args.replaceAll(a -> a.equals("--help") ? "-h" : a);
        }
        org.openjdk.jmh.Main.main(args.toArray(new String[0]));
        return 0;
    }
}
