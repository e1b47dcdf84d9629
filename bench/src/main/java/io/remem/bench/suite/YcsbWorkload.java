package io.remem.bench.suite;

import io.remem.cli.Units;
import site.ycsb.WorkloadException;
import site.ycsb.measurements.Measurements;
import site.ycsb.measurements.exporter.MeasurementsExporter;
import site.ycsb.workloads.CoreWorkload;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * A YCSB core workload, A to F, driven by the real YCSB {@link CoreWorkload} (key choice, operation mix, field
 * values) through {@link YcsbBinding}. YCSB's own data-integrity mode is on: every value is derived from its key
 * and field, and every read is verified by YCSB itself; any failed verification, or any operation the binding
 * could not complete, fails the run. Runs for the duration; D and E, which insert, also stop when they have
 * inserted as many records again as were loaded (the table's room), and fail if that happens before measuring.
 */
public final class YcsbWorkload implements Workload {
    private final char letter;
    private final long records;
    private final RecordShape shape;

    public YcsbWorkload(char letter, long records, RecordShape shape) {
        if (letter < 'A' || letter > 'F') {
            throw new IllegalArgumentException("YCSB workload " + letter + ": must be one of A to F");
        }
        if (records < 100 || records > 1L << 30) {
            throw new IllegalArgumentException("YCSB record count " + records + ": must be from 100 to 2^30");
        }
        this.letter = letter;
        this.records = records;
        this.shape = shape;
    }

    @Override
    public String name() {
        return "ycsb " + letter;
    }

    @Override
    public String family() {
        return "ycsb";
    }

    private double insertShare() {
        return letter == 'D' || letter == 'E' ? 0.05 : 0;
    }

    /** Inserts a run may make after loading: as many again for D and E, none for the others. */
    private long insertRoom() {
        return insertShare() > 0 ? records : 0;
    }

    /** The loaded records, the room for inserts, and slack for the inserts in flight when the room runs out. */
    long capacity() {
        return records + insertRoom() + 1100;
    }

    @Override
    public long footprint() {
        return FarHashTable.footprint(shape, capacity());
    }

    @Override
    public long dataBytes() {
        return records * shape.recordBytes();
    }

    @Override
    public String footprintNote() {
        return String.format(Locale.ROOT, "%s: %s records of %d x %d B in a hash table with room for %s",
                Units.bytes(footprint()), Units.count(records), shape.fieldCount(), shape.fieldLength(),
                Units.count(capacity()));
    }

    @Override
    public String unit() {
        return "ops";
    }

    /** The standard workload files' mixes (YCSB's workloads/workloada .. workloadf). */
    Properties properties() {
        Properties p = new Properties();
        p.setProperty("recordcount", Long.toString(records));
        p.setProperty("operationcount", Long.toString(Integer.MAX_VALUE));
        p.setProperty("fieldcount", Integer.toString(shape.fieldCount()));
        p.setProperty("fieldlength", Integer.toString(shape.fieldLength()));
        p.setProperty("fieldlengthdistribution", "constant");
        p.setProperty("dataintegrity", "true");
        p.setProperty("readallfields", "true");
        p.setProperty("writeallfields", "false");
        p.setProperty("requestdistribution", "zipfian");
        String[] mix = switch (letter) {
            case 'A' -> new String[] {"readproportion", "0.5", "updateproportion", "0.5"};
            case 'B' -> new String[] {"readproportion", "0.95", "updateproportion", "0.05"};
            case 'C' -> new String[] {"readproportion", "1"};
            case 'D' -> new String[] {"readproportion", "0.95", "insertproportion", "0.05", "requestdistribution", "latest"};
            case 'E' -> new String[] {"scanproportion", "0.95", "insertproportion", "0.05", "maxscanlength", "100",
                    "scanlengthdistribution", "uniform"};
            case 'F' -> new String[] {"readproportion", "0.5", "readmodifywriteproportion", "0.5"};
            default -> throw new IllegalStateException();
        };
        for (String k : new String[] {"readproportion", "updateproportion", "insertproportion", "scanproportion",
                "readmodifywriteproportion"}) {
            p.setProperty(k, "0");
        }
        for (int i = 0; i < mix.length; i += 2) {
            p.setProperty(mix[i], mix[i + 1]);
        }
        return p;
    }

    @Override
    public RunResult run(Target target, RunSettings s) throws WorkloadCheckException {
        Properties p = properties();
        CoreWorkload workload = coreWorkload(p);
        int threads = s.threads();
        ConcurrentSkipListSet<String> keys = new ConcurrentSkipListSet<>();
        LongAdder errors = new LongAdder();
        AtomicLong inserted = new AtomicLong();
        Map<String, Long> verifiedBefore = verifyCounts();
        try (RecordStore store = target.newRecords(shape, capacity())) {
            Driver.parallel(threads, t -> {
                YcsbBinding db = new YcsbBinding(store, keys, errors, inserted);
                Object state = workload.initThread(p, t, threads);
                long mine = records * (t + 1) / threads - records * t / threads;
                for (long i = 0; i < mine; i++) {
                    if (!workload.doInsert(db, state)) {
                        throw new WorkloadCheckException(name() + ": loading record " + i + " failed");
                    }
                }
            });
            long room = insertShare() > 0 ? records + insertRoom() : Long.MAX_VALUE;
            Driver.Timed timed = Driver.timed(s, target, t -> {
                YcsbBinding db = new YcsbBinding(store, keys, errors, inserted);
                Object state = threadState(workload, p, t, threads);
                return () -> inserted.get() < room && workload.doTransaction(db, state);
            });
            long ok = checkVerified(name(), verifiedBefore, errors.sum());
            return new RunResult(timed.ops(), timed.nanos(), timed.latency(),
                    "YCSB verified " + Units.count(ok) + " reads; no failed operation");
        }
    }

    /** YCSB's workload for {@code p} (from {@link #properties}), its measurements set up for it in this JVM. */
    CoreWorkload coreWorkload(Properties p) {
        Measurements.setProperties(p);
        CoreWorkload workload = new CoreWorkload();
        try {
            workload.init(p);
        } catch (WorkloadException e) {
            throw new IllegalArgumentException("YCSB rejected workload " + letter + ": " + e.getMessage(), e);
        }
        return workload;
    }

    /**
     * The reads YCSB verified since {@code before} (from {@link #verifyCounts}); fails the run if any failed its
     * verification or {@code bindingErrors} operations could not complete.
     */
    static long checkVerified(String run, Map<String, Long> before, long bindingErrors) throws WorkloadCheckException {
        Map<String, Long> verified = verifyCounts();
        long ok = verified.getOrDefault("Return=OK", 0L) - before.getOrDefault("Return=OK", 0L);
        long bad = 0;
        for (Map.Entry<String, Long> e : verified.entrySet()) {
            if (!e.getKey().equals("Return=OK") && e.getKey().startsWith("Return=")) {
                bad += e.getValue() - before.getOrDefault(e.getKey(), 0L);
            }
        }
        if (bindingErrors > 0 || bad > 0) {
            throw new WorkloadCheckException(String.format(Locale.ROOT, "%s: %d operations failed in the binding,"
                    + " %d records failed YCSB's verification", run, bindingErrors, bad));
        }
        return ok;
    }

    static Object threadState(CoreWorkload w, Properties p, int thread, int threads) {
        try {
            return w.initThread(p, thread, threads);
        } catch (WorkloadException e) {
            throw new IllegalStateException("YCSB thread " + thread + ": " + e.getMessage(), e);
        }
    }

    /** YCSB's counts of its own read verifications so far in this JVM, by outcome ("Return=OK", ...). */
    static Map<String, Long> verifyCounts() {
        Map<String, Long> counts = new HashMap<>();
        try {
            Measurements.getMeasurements().exportMeasurements(new MeasurementsExporter() {
                @Override
                public void write(String metric, String measurement, int value) {
                    write(metric, measurement, (long) value);
                }

                @Override
                public void write(String metric, String measurement, long value) {
                    if (metric.equals("VERIFY") && measurement.startsWith("Return=")) {
                        counts.put(measurement, value);
                    }
                }

                @Override
                public void write(String metric, String measurement, double value) {}

                @Override
                public void close() {}
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return counts;
    }
}
