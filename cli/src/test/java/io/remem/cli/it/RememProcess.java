package io.remem.cli.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code remem} command running in its own JVM, as in production: started from this test's classpath, its
 * output captured to a log file, killable with SIGKILL and stoppable with SIGSTOP.
 */
final class RememProcess implements AutoCloseable {
    private final String name;
    private final Process process;
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final Path log;
    private volatile boolean stopped;
    private final Thread pumped;

    private RememProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
        this.pumped = Thread.ofPlatform().daemon().name("output-" + name).start(this::pump);
    }

    static RememProcess start(String name, Path logDir, String... args) throws IOException {
        return start(name, logDir, "io.remem.cli.Main", Map.of(), args);
    }

    /** A JVM running {@code mainClass} from this test's classpath, with {@code env} added to its environment. */
    static RememProcess start(String name, Path logDir, String mainClass, Map<String, String> env, String... args)
            throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.add("--sun-misc-unsafe-memory-access=allow");
        cmd.add("-Xmx256m");
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-XX:TieredStopAtLevel=1"); // these JVMs live seconds: start fast rather than peak
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass);
        cmd.addAll(List.of(args));
        Files.createDirectories(logDir);
        Path log = logDir.resolve(name + ".log");
        ProcessBuilder b = new ProcessBuilder(cmd).redirectErrorStream(true);
        b.environment().putAll(env);
        Process p = b.start();
        return new RememProcess(name, p, log);
    }

    private void pump() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
             PrintWriter w = new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8), true)) {
            for (String line; (line = r.readLine()) != null; ) {
                lines.add(line);
                w.println(line);
            }
        } catch (IOException e) {
            // process gone
        }
    }

    /** Waits for an output line matching {@code regex} and returns its first group. */
    String await(String regex, Duration timeout) throws InterruptedException {
        Pattern p = Pattern.compile(regex);
        long deadline = System.nanoTime() + timeout.toNanos();
        int seen = 0;
        while (System.nanoTime() < deadline) {
            for (; seen < lines.size(); seen++) {
                Matcher m = p.matcher(lines.get(seen));
                if (m.find()) {
                    return m.groupCount() > 0 ? m.group(1) : m.group();
                }
            }
            if (!process.isAlive() && seen >= lines.size()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + " before printing /"
                        + regex + "/; output:\n" + String.join("\n", lines));
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException(name + " did not print /" + regex + "/ within " + timeout + "; output:\n"
                + String.join("\n", lines));
    }

    /** How many output lines so far match {@code regex}. */
    long count(String regex) {
        Pattern p = Pattern.compile(regex);
        return lines.stream().filter(l -> p.matcher(l).find()).count();
    }

    /** Waits until more than {@code before} output lines match {@code regex}: the next time it is printed. */
    void awaitMore(String regex, long before, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (count(regex) <= before) {
            if (System.nanoTime() > deadline || !process.isAlive()) {
                throw new IllegalStateException(name + " did not print /" + regex + "/ again within " + timeout
                        + "; output:\n" + output());
            }
            Thread.sleep(20);
        }
    }

    String output() {
        return String.join("\n", lines);
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Waits for the process to exit on its own, and for its output to be read. */
    int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError(name + " did not exit within " + timeout + "; output:\n" + output());
        }
        pumped.join(timeout.toMillis());
        return process.exitValue();
    }

    /** Writes one line to the process's standard input. */
    void send(String line) throws IOException {
        process.getOutputStream().write((line + "\n").getBytes(StandardCharsets.UTF_8));
        process.getOutputStream().flush();
    }

    /** Closes the process's standard input: a polite request to finish. */
    void closeInput() throws IOException {
        process.getOutputStream().close();
    }

    long pid() {
        return process.pid();
    }

    /** SIGKILL: no shutdown hook, no flush, exactly what a crash looks like. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** SIGSTOP: the process stays, its sockets stay open, and nothing answers: a stalled node. */
    void stop() throws IOException, InterruptedException {
        signal("STOP");
        stopped = true;
    }

    /** SIGCONT after {@link #stop}. */
    void resume() throws IOException, InterruptedException {
        signal("CONT");
        stopped = false;
    }

    private void signal(String name) throws IOException, InterruptedException {
        // The shell's own kill: Java has no SIGSTOP, and /bin/kill is not on every machine.
        Process k = new ProcessBuilder("sh", "-c", "kill -" + name + " " + process.pid()).inheritIO().start();
        if (!k.waitFor(10, TimeUnit.SECONDS) || k.exitValue() != 0) {
            throw new IOException("kill -" + name + " " + process.pid() + " failed");
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (stopped) {
            kill(); // a stopped JVM would not run its shutdown hooks before the timeout
        }
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                kill();
            }
        }
    }
}
