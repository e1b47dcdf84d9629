package io.remem.bench.suite;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.core.HazelcastInstance;
import io.remem.client.Remem;
import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import site.ycsb.workloads.CoreWorkload;

import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.zip.DataFormatException;

/**
 * One YCSB client of {@link SharedYcsb}, in a JVM of its own ({@link ChildJvm}): it connects to every system it is
 * told of, each on a connection of its own, and opens the one shared store there (remem's shared map, a Redis key
 * space, a Hazelcast {@code IMap}, all named alike in every client). It then does what the lines on its stdin say
 * and answers each on stdout with a line starting {@value #ANSWER}:
 *
 * <pre>
 *   SETUP records fieldCount fieldLength threads mapBytes      OK
 *   CONNECT remem controller tenant secret                     OK    (the secret on stdin, not on the command line)
 *   CONNECT redis port | CONNECT hazelcast host:port           OK
 *   LOAD system                                                LOADED nanos       (every record, by this client alone)
 *   RUN system letter warmupMillis durationMillis              RESULT ops nanos verified all read update
 *   QUIT
 * </pre>
 * A RESULT's histograms are HdrHistogram's compressed form in base64: every operation, then reads and updates alone
 * (the time the store took, without YCSB's record building). A failure answers {@code ERROR CHECK|FAIL} and the
 * stack trace, its line breaks escaped; the client stays up for the next order. Nothing here ever closes a store:
 * closing Redis's or Hazelcast's would delete the records every client shares.
 */
public final class SharedYcsbClient {
    static final String ANSWER = "@@ ";
    /** The name of the shared store in every system. */
    static final String STORE = "usertable";
    /** Redis's keys are {@code r<id>:<key>}; every client agrees on this id. */
    static final long REDIS_STORE_ID = 0;

    private final PrintStream answers;
    private final Map<String, RecordStore> stores = new LinkedHashMap<>();
    private final List<AutoCloseable> connections = new ArrayList<>();
    private long records;
    private RecordShape shape;
    private int threads;
    private long mapBytes;

    private SharedYcsbClient(PrintStream answers) {
        this.answers = answers;
    }

    public static void main(String[] args) throws Exception {
        // Only answers go to stdout: anything a library prints there (YCSB, a client's banner) goes to the log.
        PrintStream answers = new PrintStream(new FileOutputStream(FileDescriptor.out), true,
                StandardCharsets.UTF_8);
        System.setOut(System.err);
        HazelcastMember.quietLogging();
        SharedYcsbClient client = new SharedYcsbClient(answers);
        answers.println(ChildJvm.READY + (args.length > 0 ? args[0] : "client"));
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null && !line.equals("QUIT"); ) {
                client.answer(line.split(" "));
            }
        } finally {
            client.closeConnections();
        }
        System.exit(0); // the Hazelcast client's and Lettuce's threads would otherwise keep the JVM up
    }

    private void answer(String[] order) {
        try {
            answers.println(ANSWER + switch (order[0]) {
                case "SETUP" -> setup(order);
                case "CONNECT" -> connect(order);
                case "LOAD" -> "LOADED " + load(store(order[1]));
                case "RUN" -> run(order[1], store(order[1]), order[2].charAt(0), Long.parseLong(order[3]),
                        Long.parseLong(order[4]));
                default -> throw new IllegalArgumentException("unknown order " + order[0]);
            });
        } catch (WorkloadCheckException e) {
            answers.println(ANSWER + "ERROR CHECK " + escape(stackTrace(e)));
        } catch (Throwable e) {
            e.printStackTrace(); // into the log, as well as to the parent
            answers.println(ANSWER + "ERROR FAIL " + escape(stackTrace(e)));
        }
    }

    private String setup(String[] o) {
        records = Long.parseLong(o[1]);
        shape = new RecordShape(Integer.parseInt(o[2]), Integer.parseInt(o[3]));
        threads = Integer.parseInt(o[4]);
        mapBytes = Long.parseLong(o[5]);
        return "OK";
    }

    private String connect(String[] o) throws Exception {
        String system = o[1];
        switch (system) {
            case "remem" -> {
                // Datasets bypass the cache, so it is kept small; one copy, as Redis and Hazelcast's one member keep.
                RememSession session = Remem.connect(o[2], RememOptions.builder().tenant(o[3])
                        .secret(o[4].toCharArray()).replication(1).cacheBytes(4L << 20).build());
                connections.add(session);
                stores.put(system, new SharedFarMapRecordStore(session.memory(), STORE, shape, mapBytes));
            }
            case "redis" -> {
                RedisPeer peer = RedisPeer.connect(Integer.parseInt(o[2]), RedisPeer.COMMAND_TIMEOUT, null, "redis");
                connections.add(peer); // closing it closes the connection and leaves the server to its owner
                stores.put(system, peer.records(shape, REDIS_STORE_ID));
            }
            case "hazelcast" -> {
                HazelcastInstance client = HazelcastClient.newHazelcastClient(HazelcastPeer.clientConfig(o[2]));
                connections.add(client::shutdown);
                stores.put(system, new HazelcastRecordStore(client.getMap(STORE), shape, () -> {}));
            }
            default -> throw new IllegalArgumentException("unknown system " + system);
        }
        return "OK";
    }

    private RecordStore store(String system) {
        RecordStore s = stores.get(system);
        if (s == null) {
            throw new IllegalStateException(system + ": not connected");
        }
        return s;
    }

    /** YCSB's load phase, all of it here: the records every client's workload then reads and updates. */
    private long load(RecordStore store) throws WorkloadCheckException {
        YcsbWorkload w = new YcsbWorkload('A', records, shape);
        Properties p = w.properties();
        CoreWorkload workload = w.coreWorkload(p);
        LongAdder errors = new LongAdder();
        long t0 = System.nanoTime();
        Driver.parallel(threads, t -> {
            YcsbBinding db = new YcsbBinding(store, new ConcurrentSkipListSet<>(), errors, new AtomicLong());
            Object state = YcsbWorkload.threadState(workload, p, t, threads);
            long mine = records * (t + 1) / threads - records * t / threads;
            for (long i = 0; i < mine; i++) {
                if (!workload.doInsert(db, state)) {
                    throw new WorkloadCheckException("loading record " + i + " of thread " + t + " failed");
                }
            }
        });
        return System.nanoTime() - t0;
    }

    private String run(String system, RecordStore store, char letter, long warmupMillis, long durationMillis)
            throws WorkloadCheckException {
        YcsbWorkload w = new YcsbWorkload(letter, records, shape);
        Properties p = w.properties();
        CoreWorkload workload = w.coreWorkload(p);
        TimedStore timed = new TimedStore(store);
        LongAdder errors = new LongAdder();
        Map<String, Long> before = YcsbWorkload.verifyCounts();
        // A fixed warm-up: every client JVM must measure the same period.
        RunSettings s = new RunSettings(threads, Duration.ofMillis(warmupMillis), Duration.ofMillis(durationMillis),
                false);
        Driver.Timed t = Driver.timed(s, timed::measuring, th -> {
            // D and E, which insert, are not offered: the keys a client inserted would be known to it alone.
            YcsbBinding db = new YcsbBinding(timed, new ConcurrentSkipListSet<>(), errors, new AtomicLong());
            Object state = YcsbWorkload.threadState(workload, p, th, threads);
            return () -> workload.doTransaction(db, state);
        });
        long verified = YcsbWorkload.checkVerified(w.name() + " on " + system, before, errors.sum());
        return "RESULT " + t.ops() + " " + t.nanos() + " " + verified + " " + encode(t.latency()) + " "
                + encode(timed.reads) + " " + encode(timed.updates);
    }

    private void closeConnections() {
        for (AutoCloseable c : connections) {
            try {
                c.close();
            } catch (Exception e) {
                System.err.println("closing a connection: " + e);
            }
        }
    }

    static String encode(Histogram h) {
        ByteBuffer b = ByteBuffer.allocate(h.getNeededByteBufferCapacity());
        int n = h.encodeIntoCompressedByteBuffer(b);
        return Base64.getEncoder().encodeToString(Arrays.copyOf(b.array(), n));
    }

    static Histogram decode(String base64) {
        try {
            return Histogram.decodeFromCompressedByteBuffer(ByteBuffer.wrap(Base64.getDecoder().decode(base64)), 0);
        } catch (DataFormatException e) {
            throw new IllegalArgumentException("not a compressed histogram: " + e.getMessage(), e);
        }
    }

    /** One line for the parent: backslashes and line breaks escaped. */
    static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\r", "").replace("\n", "\\n");
    }

    static String unescape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                char n = s.charAt(++i);
                b.append(n == 'n' ? '\n' : n);
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static String stackTrace(Throwable e) {
        StringWriter w = new StringWriter();
        e.printStackTrace(new PrintWriter(w));
        return w.toString().strip();
    }

    /**
     * The store's own time for reads and updates, apart from YCSB's per-operation work, over the measured period
     * only: the recorders are emptied when it starts and read when it ends.
     */
    private static final class TimedStore implements RecordStore {
        private final RecordStore store;
        private final Recorder readRecorder = new Recorder(3);
        private final Recorder updateRecorder = new Recorder(3);
        Histogram reads = new Histogram(3);
        Histogram updates = new Histogram(3);

        TimedStore(RecordStore store) {
            this.store = store;
        }

        void measuring(boolean on) {
            Histogram r = readRecorder.getIntervalHistogram();
            Histogram u = updateRecorder.getIntervalHistogram();
            if (!on) {
                reads = r;
                updates = u;
            }
        }

        @Override
        public RecordShape shape() {
            return store.shape();
        }

        @Override
        public void insert(String key, byte[] record) {
            store.insert(key, record);
        }

        @Override
        public boolean read(String key, byte[] dst) {
            long t0 = System.nanoTime();
            boolean found = store.read(key, dst);
            readRecorder.recordValue(System.nanoTime() - t0);
            return found;
        }

        @Override
        public boolean update(String key, int offset, byte[] bytes) {
            long t0 = System.nanoTime();
            boolean found = store.update(key, offset, bytes);
            updateRecorder.recordValue(System.nanoTime() - t0);
            return found;
        }

        @Override
        public boolean delete(String key) {
            return store.delete(key);
        }

        @Override
        public void close() {
            // the store is shared: see the class comment
        }
    }
}
