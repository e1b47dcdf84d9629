package io.remem.bench.suite;

import org.HdrHistogram.Histogram;

/** The suite's latency histograms: nanoseconds up to an hour, three significant digits. */
final class Latencies {
    private Latencies() {}

    static Histogram histogram() {
        return new Histogram(3_600_000_000_000L, 3);
    }

    /** One histogram per thread, ready to record. */
    static Histogram[] perThread(int threads) {
        Histogram[] h = new Histogram[threads];
        for (int t = 0; t < threads; t++) {
            h[t] = histogram();
        }
        return h;
    }

    static Histogram merged(Histogram[] perThread) {
        Histogram all = histogram();
        for (Histogram h : perThread) {
            all.add(h);
        }
        return all;
    }
}
