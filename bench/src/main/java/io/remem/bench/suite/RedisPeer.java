package io.remem.bench.suite;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Redis server of its own on loopback (started by the {@code redis.sh} resource, installed through apt if it
 * must be) and one Lettuce connection to it with byte[] keys and values ({@link #target}), plus one more for each
 * client-side-caching target ({@link #cachingTarget}). Closing the peer stops the server.
 */
public final class RedisPeer implements AutoCloseable {
    static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(10);
    /** apt-get may have to install the server first. */
    private static final Duration START_TIMEOUT = Duration.ofSeconds(180);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
    private static final Pattern VERSION = Pattern.compile("v=(\\S+)");

    private final int port;
    private final Path script;
    private final String version;
    private final RedisClient client;
    private final RedisURI uri;
    private final RedisTarget target;
    /** Shared by its targets: no two of their stores share keys, even after one closed. */
    private final AtomicLong storeIds = new AtomicLong();
    private final List<CachingRedisTarget> cachingTargets = new CopyOnWriteArrayList<>();
    private final AtomicBoolean closed = new AtomicBoolean();

    private final Thread stopOnExit;

    private RedisPeer(int port, Path script, String version, RedisClient client, RedisURI uri,
            StatefulRedisConnection<byte[], byte[]> connection) {
        this.port = port;
        this.script = script;
        this.version = version;
        this.client = client;
        this.uri = uri;
        this.target = new RedisTarget(connection, uri.getTimeout(), storeIds);
        // The server daemonizes, so it would outlive a suite stopped with Ctrl-C; stop it as this JVM exits.
        this.stopOnExit = script == null ? null : new Thread(() -> stopQuietly(script, port), "redis-stop");
        if (stopOnExit != null) {
            Runtime.getRuntime().addShutdownHook(stopOnExit);
        }
    }

    /** Starts a server on 127.0.0.1:{@code port} (replacing a bench server left there) and connects to it. */
    public static RedisPeer start(int port) throws PeerUnavailableException {
        Path script = extractScript();
        try {
            String out = run(script, START_TIMEOUT, "start", port);
            Matcher m = VERSION.matcher(out);
            String version = m.find() ? "Redis " + m.group(1) : out.strip();
            return connect(port, COMMAND_TIMEOUT, script, version);
        } catch (PeerUnavailableException | RuntimeException e) {
            deleteQuietly(script);
            throw e;
        }
    }

    /**
     * Connects to a server already on {@code port}. With a {@code script}, closing the peer stops the server through
     * it; without one (tests of the failure paths), closing leaves the server alone.
     */
    static RedisPeer connect(int port, Duration timeout, Path script, String version) throws PeerUnavailableException {
        RedisURI uri = RedisURI.builder().withHost("127.0.0.1").withPort(port).withTimeout(timeout).build();
        RedisClient client = RedisClient.create(uri);
        client.setOptions(clientOptions(timeout).build());
        StatefulRedisConnection<byte[], byte[]> connection;
        try {
            connection = client.connect(ByteArrayCodec.INSTANCE);
        } catch (RuntimeException e) {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            if (script != null) {
                stopQuietly(script, port);
            }
            throw new PeerUnavailableException("cannot connect to Redis on 127.0.0.1:" + port + ": " + reason(e), e);
        }
        return new RedisPeer(port, script, version, client, uri, connection);
    }

    /**
     * Fail a command at once while the connection is down rather than queue it behind a reconnect the workload
     * would only see as a stall. Every wait is bounded by await's deadline, so Lettuce's own per-command timer (a
     * wheel-timer entry scheduled and cancelled for each command) is off.
     */
    static ClientOptions.Builder clientOptions(Duration timeout) {
        return ClientOptions.builder()
                .socketOptions(SocketOptions.builder().connectTimeout(timeout).tcpNoDelay(true).build())
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.builder().timeoutCommands(false).build());
    }

    /** Such as "Redis 7.0.15". */
    public String version() {
        return version;
    }

    /**
     * The one target over this peer's connection. The suite opens and closes a target per run, so closing it
     * leaves the connection open; closing the peer closes it.
     */
    public Target target() {
        return target;
    }

    /**
     * "redis+csc": a connection of its own (tracking is per connection) with a client-side cache of about
     * {@code cacheBytes}, which the server keeps coherent; see {@link CachingRedisTarget}. Each call opens a new
     * one, and closing the target closes it.
     */
    public Target cachingTarget(long cacheBytes) {
        if (closed.get()) {
            throw new IllegalStateException("redis: the peer is closed");
        }
        CachingRedisTarget t = CachingRedisTarget.open(client.getResources(), uri, storeIds, cacheBytes,
                cachingTargets::remove);
        cachingTargets.add(t);
        return t;
    }

    /**
     * Records keyed {@code r<storeId>:<key>} over this peer's connection, for stores that several clients (other
     * JVMs) share by agreeing on the id. Closing such a store deletes every client's records: leave that to one.
     */
    RecordStore records(RecordShape shape, long storeId) {
        return new RedisRecordStore(target.redis, target.timeoutNanos, storeId, shape);
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        // Before the client: theirs share its event loops, which its shutdown stops.
        for (CachingRedisTarget t : cachingTargets) {
            t.close();
        }
        target.closeConnection();
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        if (script != null) {
            stopQuietly(script, port);
            deleteQuietly(script);
            try {
                Runtime.getRuntime().removeShutdownHook(stopOnExit);
            } catch (IllegalStateException alreadyExiting) {
                // the hook runs anyway; stopping twice is harmless
            }
        }
    }

    /**
     * Waits for one command's reply for at most {@code timeoutNanos}, so a dead or stalled server surfaces as an
     * exception naming the command instead of a hang.
     */
    static <T> T await(RedisFuture<T> future, long timeoutNanos, String command) {
        try {
            return future.get(timeoutNanos, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            future.cancel(false);
            throw new RedisCommandTimeoutException("Redis " + command + ": no reply within "
                    + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms");
        } catch (ExecutionException e) {
            throw new RedisException("Redis " + command + " failed: " + reason(e.getCause()), e.getCause());
        } catch (InterruptedException e) {
            future.cancel(false);
            Thread.currentThread().interrupt();
            throw new RedisException("Redis " + command + ": interrupted");
        }
    }

    /** Waits for all of {@code futures[0..count)} within one shared deadline; one slow reply cannot stretch it. */
    static void awaitAll(RedisFuture<?>[] futures, int count, long timeoutNanos, String command) {
        long deadline = System.nanoTime() + timeoutNanos;
        for (int i = 0; i < count; i++) {
            try {
                await(futures[i], Math.max(0, deadline - System.nanoTime()), command);
            } catch (RuntimeException e) {
                for (int j = i + 1; j < count; j++) {
                    futures[j].cancel(false);
                }
                throw e;
            }
        }
    }

    /** {@code prefix} followed by the decimal digits of {@code n >= 0}, without a String in between. */
    static byte[] withDecimal(byte[] prefix, long n) {
        int digits = 1;
        for (long v = n; v >= 10; v /= 10) {
            digits++;
        }
        byte[] b = new byte[prefix.length + digits];
        System.arraycopy(prefix, 0, b, 0, prefix.length);
        long v = n;
        for (int i = b.length - 1; i >= prefix.length; i--) {
            b[i] = (byte) ('0' + v % 10);
            v /= 10;
        }
        return b;
    }

    private static String reason(Throwable e) {
        // Lettuce wraps the socket's error; the innermost message says what went wrong.
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        String m = t.getMessage() != null ? t.getMessage() : t.getClass().getSimpleName();
        return t == e ? m : e.getMessage() + " (" + m + ")";
    }

    private static Path extractScript() throws PeerUnavailableException {
        // A resource, not a file beside the code, so that it runs from the shaded jar just the same.
        try (InputStream in = RedisPeer.class.getResourceAsStream("redis.sh")) {
            if (in == null) {
                throw new PeerUnavailableException("redis.sh is missing from the class path");
            }
            Path p = Files.createTempFile("remem-bench-redis-", ".sh");
            Files.copy(in, p, StandardCopyOption.REPLACE_EXISTING);
            return p;
        } catch (IOException e) {
            throw new PeerUnavailableException("cannot extract redis.sh: " + e.getMessage(), e);
        }
    }

    /** Runs the script and returns its stdout; a failure's message is what the script said on stderr. */
    private static String run(Path script, Duration timeout, String command, int port) throws PeerUnavailableException {
        Path out = null;
        Path err = null;
        try {
            // Files, not pipes: the daemonized server is a grandchild, and a pipe it inherited would never see EOF.
            out = Files.createTempFile("remem-bench-redis-", ".out");
            err = Files.createTempFile("remem-bench-redis-", ".err");
            Process p = new ProcessBuilder("bash", script.toString(), command, Integer.toString(port))
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new PeerUnavailableException("redis.sh " + command + " " + port + " did not finish within "
                        + timeout.toSeconds() + " s");
            }
            if (p.exitValue() != 0) {
                String why = stderrReason(Files.readAllLines(err, StandardCharsets.UTF_8));
                throw new PeerUnavailableException(why.isEmpty()
                        ? "redis.sh " + command + " " + port + " exited with " + p.exitValue() : why);
            }
            return Files.readString(out, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new PeerUnavailableException("cannot run redis.sh: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PeerUnavailableException("interrupted while running redis.sh " + command);
        } finally {
            deleteQuietly(out);
            deleteQuietly(err);
        }
    }

    /** The script's error lines as one line, without its progress lines (those end in "..."). */
    private static String stderrReason(List<String> lines) {
        StringBuilder sb = new StringBuilder();
        for (String line : lines) {
            String s = line.strip();
            if (!s.isEmpty() && !s.endsWith("...")) {
                sb.append(sb.isEmpty() ? "" : " | ").append(s);
            }
        }
        return sb.toString();
    }

    private static void stopQuietly(Path script, int port) {
        try {
            run(script, STOP_TIMEOUT, "stop", port);
        } catch (PeerUnavailableException e) {
            // the server dies with the machine's next reboot at the latest; nothing else to do from here
            System.err.println("redis: " + e.getMessage());
        }
    }

    private static void deleteQuietly(Path p) {
        if (p == null) {
            return;
        }
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // a temp file left behind is harmless
        }
    }
}
