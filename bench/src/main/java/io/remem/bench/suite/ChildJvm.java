package io.remem.bench.suite;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A server in its own JVM, started from this JVM's own class path: a remem cluster or a Hazelcast member. The
 * child's main prints {@value #READY} and what the client needs (an address) on one line once it serves; the
 * rest of its output goes to a log file. Closing it kills the process.
 *
 * <p>A child that takes orders (a benchmark client) reads them as lines on its stdin ({@link #send}) and answers
 * with lines on its stdout after the ready line ({@link #await}).
 */
public final class ChildJvm implements AutoCloseable {
    public static final String READY = "READY ";

    /** What {@link #await} finds in the queue once the child's stdout has ended; compared by identity, so no line the child prints can pass for it. */
    private static final String END = new String("end of output");

    private final Process process;
    private final String readyLine;
    private final Path log;
    private final BlockingQueue<String> lines;

    private ChildJvm(Process process, String readyLine, Path log, BlockingQueue<String> lines) {
        this.process = process;
        this.readyLine = readyLine;
        this.log = log;
        this.lines = lines;
    }

    /** What the child printed after {@value #READY}. */
    public String info() {
        return readyLine;
    }

    public long pid() {
        return process.pid();
    }

    /**
     * Starts {@code mainClass} with {@code args} in a JVM of {@code heap} (such as "512m") and waits until it is
     * ready.
     */
    public static ChildJvm start(String name, Class<?> mainClass, String heap, Duration timeout, String... args)
            throws PeerUnavailableException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> cmd = new ArrayList<>(List.of(java.toString(), "-Xmx" + heap, "-Xms" + heap,
                "-XX:+UseParallelGC", "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow",
                "-cp", System.getProperty("java.class.path"), mainClass.getName()));
        cmd.addAll(List.of(args));
        Path log;
        Process p;
        try {
            log = Files.createTempFile("remem-bench-" + name + "-", ".log");
            p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
        } catch (IOException e) {
            throw new PeerUnavailableException(name + ": cannot start a JVM: " + e.getMessage(), e);
        }
        CompletableFuture<String> ready = new CompletableFuture<>();
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread.ofPlatform().daemon().name(name + "-stdout").start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    if (ready.isDone()) {
                        lines.add(line); // an answer to an order; servers print nothing after READY
                    } else if (line.startsWith(READY)) {
                        ready.complete(line.substring(READY.length()).strip());
                    }
                }
            } catch (IOException ignored) {
                // the process is gone; the wait below reports it
            }
            ready.complete(null);
            lines.add(END);
        });
        try {
            String info = ready.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (info == null) {
                throw new PeerUnavailableException(name + " exited before it was ready" + tail(log));
            }
            return new ChildJvm(p, info, log, lines);
        } catch (TimeoutException e) {
            p.destroyForcibly();
            throw new PeerUnavailableException(name + " was not ready within " + timeout.toSeconds() + " s" + tail(log));
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new PeerUnavailableException(name + ": interrupted while starting");
        } catch (ExecutionException e) {
            p.destroyForcibly();
            throw new PeerUnavailableException(name + ": " + e.getCause(), e.getCause());
        }
    }

    /** Sends one line to the child's stdin. */
    public void send(String line) {
        try {
            OutputStream in = process.getOutputStream();
            in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
            in.flush();
        } catch (IOException e) {
            throw new IllegalStateException("pid " + pid() + " no longer takes orders (" + e.getMessage() + ")" + tail(log), e);
        }
    }

    /**
     * The next line the child printed after its ready line that starts with {@code prefix}, other lines skipped.
     * Fails, with the end of the child's log, if the child exits or stays silent for {@code timeout}.
     */
    public String await(String prefix, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (true) {
                String line = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                if (line == null) {
                    throw new IllegalStateException("pid " + pid() + " did not answer within " + timeout.toSeconds()
                            + " s" + tail(log));
                }
                if (line == END) {
                    lines.add(END); // every later wait fails the same way
                    throw new IllegalStateException("pid " + pid() + " exited" + tail(log));
                }
                if (line.startsWith(prefix)) {
                    return line.substring(prefix.length());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for pid " + pid(), e);
        }
    }

    /** The child's log (its stderr), deleted when it is closed. */
    public Path log() {
        return log;
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return lines.isEmpty() ? "" : "; its last output: " + String.join(" | ",
                    lines.subList(Math.max(0, lines.size() - 5), lines.size()));
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
            Files.deleteIfExists(log);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException ignored) {
            // a temp file left behind is harmless
        }
    }
}
