package io.remem.bench.suite;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A server in its own JVM, started from this JVM's own class path: a remem cluster or a Hazelcast member. The
 * child's main prints {@value #READY} and what the client needs (an address) on one line once it serves; the
 * rest of its output goes to a log file. Closing it kills the process.
 */
public final class ChildJvm implements AutoCloseable {
    public static final String READY = "READY ";

    private final Process process;
    private final String readyLine;
    private final Path log;

    private ChildJvm(Process process, String readyLine, Path log) {
        this.process = process;
        this.readyLine = readyLine;
        this.log = log;
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
        Thread.ofPlatform().daemon().name(name + "-stdout").start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    if (line.startsWith(READY)) {
                        ready.complete(line.substring(READY.length()).strip());
                    }
                }
            } catch (IOException ignored) {
                // the process is gone; the wait below reports it
            }
            ready.complete(null);
        });
        try {
            String info = ready.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (info == null) {
                throw new PeerUnavailableException(name + " exited before it was ready" + tail(log));
            }
            return new ChildJvm(p, info, log);
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
