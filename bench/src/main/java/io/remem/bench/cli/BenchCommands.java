package io.remem.bench.cli;

import io.remem.cli.CommandProvider;

import java.util.List;

/** Adds {@code remem demo}, {@code remem bench} and {@code remem jmh} to the command line of the full jar. */
public final class BenchCommands implements CommandProvider {
    @Override
    public List<Object> commands() {
        return List.of(new DemoCommand(), new BenchCommand(), new JmhCommand());
    }
}
