package io.remem.bench.demo;

import io.remem.cli.Units;
import io.remem.client.CacheStats;

import java.io.PrintWriter;
import java.util.Locale;

/** Prints a {@link DemoWorkload.Result} as a short table a person can read at a glance. */
public final class DemoReport {
    private DemoReport() {}

    public static void print(DemoWorkload.Result r, PrintWriter out) {
        out.println();
        out.printf(Locale.ROOT, "%-11s %10s %8s %9s %9s %9s %10s %10s %7s%n",
                "phase", "ops/s", "hit rate", "AMAT", "p50", "p99", "fetched", "written", "dirty");
        for (DemoWorkload.Phase p : r.phases()) {
            CacheStats s = p.stats();
            out.printf(Locale.ROOT, "%-11s %10s %8s %9s %9s %9s %10s %10s %7s%n",
                    p.name(),
                    Units.count(p.opsPerSecond()),
                    Units.percent(s.hitRate()),
                    Units.nanos(s.amatNanos()),
                    Units.nanos(p.latency().getValueAtPercentile(50)),
                    Units.nanos(p.latency().getValueAtPercentile(99)),
                    Units.bytes(s.bytesFetched()),
                    Units.bytes(s.bytesWrittenBack()),
                    s.bytesDirtied() == 0 ? "-" : String.format(Locale.ROOT, "%.2f", s.dirtyAmplification()));
        }
        out.println();
        out.println("ops/s, hit rate and AMAT are per phase; p50/p99 are per 64-byte operation, measured by the demo;");
        out.println("AMAT is the cache's own figure (hit time by calibration, every miss timed); dirty is the dirty");
        out.println("amplification: bytes written back divided by bytes the application wrote (Kona's measure).");
        out.println();
        out.printf(Locale.ROOT, "checked %s reads against what was written: %s mismatches%n",
                Units.count(r.verifiedReads()), Units.count(r.mismatchCount()));
        for (DemoWorkload.Mismatch m : r.mismatches()) {
            out.printf(Locale.ROOT, "  MISMATCH in %s: record %d (version %d) word %d: expected %016x, read %016x%n",
                    m.phase(), m.record(), m.version(), m.word(), m.expected(), m.actual());
        }
        for (Throwable t : r.errors()) {
            out.println("  ERROR: " + t);
        }
        out.println(r.passed() ? "PASS" : "FAIL");
    }
}
