package io.remem.cli;

import java.util.List;

/**
 * More {@code remem} subcommands, from another jar: {@link Main} finds every provider on the class path with
 * {@link java.util.ServiceLoader}. The server jar ({@code remem-server.jar}) has none, so it carries no benchmark
 * dependencies; the full jar adds {@code bench}, {@code demo} and {@code jmh} this way.
 */
public interface CommandProvider {
    /** Picocli command objects (classes annotated with {@code @Command}), added under their own names. */
    List<Object> commands();
}
