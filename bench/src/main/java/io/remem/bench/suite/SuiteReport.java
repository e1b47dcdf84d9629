package io.remem.bench.suite;

import io.remem.bench.Table;
import io.remem.cli.Units;
import io.remem.client.CacheStats;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** The suite's report: a markdown summary, one CSV of every run, and the charts. */
public final class SuiteReport {
    private final Suite.Report report;

    public SuiteReport(Suite.Report report) {
        this.report = report;
    }

    /** The all-local run of {@code workload}, the baseline of its slowdowns; null if it failed. */
    SuiteResult local(String workload) {
        return report.results().stream().filter(r -> r.workload().equals(workload) && r.kind().equals("local")
                && r.ok()).findFirst().orElse(null);
    }

    /** Time over the all-local run's, for the same work: local throughput over this one's. NaN without both. */
    double slowdown(SuiteResult r) {
        SuiteResult l = local(r.workload());
        return l == null || !r.ok() ? Double.NaN : l.result().opsPerSecond() / r.result().opsPerSecond();
    }

    List<String> workloads() {
        Set<String> names = new LinkedHashSet<>();
        report.results().forEach(r -> names.add(r.workload()));
        return List.copyOf(names);
    }

    List<SuiteResult> of(String workload) {
        return report.results().stream().filter(r -> r.workload().equals(workload)).toList();
    }

    Suite.Report report() {
        return report;
    }

    public String markdown(String command) {
        StringBuilder sb = new StringBuilder();
        sb.append("# remem bench suite\n\n");
        sb.append("`").append(command).append("`, ").append(String.format(Locale.ROOT, "%.0f s", report.nanos() / 1e9))
                .append(" in all.\n\n");
        Table env = new Table("Environment", "", "");
        report.environment().forEach(env::row);
        sb.append(env.markdown()).append('\n');
        Histogram f = report.floor();
        sb.append(String.format(Locale.ROOT, "### Network floor\n\nRaw socket ping-pong on loopback, a 16-byte request"
                        + " answered with %s, %s round trips: median %s, mean %s, p99 %s.\n\n",
                Units.bytes(report.config().blockSize()), Units.count(f.getTotalCount()),
                Units.nanos(f.getValueAtPercentile(50)), Units.nanos(f.getMean()), Units.nanos(f.getValueAtPercentile(99))));
        if (!report.skipped().isEmpty()) {
            Table skipped = new Table("Skipped peers", "peer", "reason");
            report.skipped().forEach(skipped::row);
            sb.append(skipped.markdown()).append('\n');
        }
        sb.append(summary().markdown()).append('\n');
        List<String> warnings = inconsistencies();
        if (!warnings.isEmpty()) {
            sb.append("### Warnings\n\n");
            warnings.forEach(w -> sb.append("- ").append(w).append('\n'));
            sb.append('\n');
        }
        for (String w : workloads()) {
            sb.append(detail(w).markdown()).append('\n');
        }
        return sb.toString();
    }

    /**
     * Results that contradict each other: remem with more of the footprint cached running clearly slower than with
     * less. More cache is never slower in steady state, so such a pair means the run was not warm (or the machine
     * changed under it), and ratios taken from it would mislead. Clearly: with repeats, the larger cache's fastest
     * run is below the smaller one's slowest; with one run each, it is more than 10% below.
     */
    List<String> inconsistencies() {
        List<String> found = new ArrayList<>();
        for (String w : workloads()) {
            List<SuiteResult> remem = of(w).stream().filter(r -> r.kind().equals("remem") && r.ok())
                    .sorted((a, b) -> Double.compare(b.cacheFraction(), a.cacheFraction())).toList();
            for (int i = 0; i + 1 < remem.size(); i++) {
                SuiteResult more = remem.get(i);
                SuiteResult less = remem.get(i + 1);
                boolean clearly = more.repeats() > 1 && less.repeats() > 1 ? more.maxRate() < less.minRate()
                        : more.result().opsPerSecond() < 0.9 * less.result().opsPerSecond();
                if (clearly) {
                    found.add(String.format(Locale.ROOT, "%s: %s (%s %s/s) ran slower than %s (%s %s/s). More cache is"
                                    + " never slower once warm: the warm-up (at least %s, until throughput held steady)"
                                    + " ended in a lull, or the machine changed during the run; rerun with more --repeat"
                                    + " or a longer --warmup.",
                            w, more.target(), Units.count(more.result().opsPerSecond()), more.unit(), less.target(),
                            Units.count(less.result().opsPerSecond()), less.unit(),
                            Units.nanos(report.config().settings().warmup().toNanos())));
                }
            }
        }
        return found;
    }

    /** Slowdown against all-local: a row per workload, a column per target. */
    Table summary() {
        List<String> targets = new ArrayList<>();
        for (SuiteResult r : report.results()) {
            if (!r.kind().equals("local") && !targets.contains(r.target())) {
                targets.add(r.target());
            }
        }
        List<String> cols = new ArrayList<>(List.of("workload", "all-local"));
        cols.addAll(targets);
        Table t = new Table("Slowdown against all-local (time for the same work; 1.00 = as fast as local memory)",
                cols.toArray(String[]::new));
        for (String w : workloads()) {
            Map<String, String> cells = new LinkedHashMap<>();
            SuiteResult l = local(w);
            cells.put("all-local", l == null ? "failed" : Units.count(l.result().opsPerSecond()) + " " + l.unit() + "/s");
            for (SuiteResult r : of(w)) {
                if (!r.kind().equals("local")) {
                    cells.put(r.target(), r.ok() ? String.format(Locale.ROOT, "%.2f", slowdown(r)) : "FAILED");
                }
            }
            List<Object> row = new ArrayList<>(List.of(w));
            for (String c : cols.subList(1, cols.size())) {
                row.add(cells.getOrDefault(c, "-"));
            }
            t.row(row.toArray());
        }
        t.note("'remem N%' keeps N% of the workload's footprint in its local cache; 'classic paging' is remem with"
                + " 4 KiB blocks, per-block dirty tracking, no background reclaim and no prefetching; Hazelcast's near"
                + " cache and Redis's client-side cache ('redis+csc', kept coherent by the server's invalidations) hold"
                + " the same share of the data as remem's cache at the peers' comparison point. Plain Redis and"
                + " Hazelcast keep no local copy.");
        return t;
    }

    Table detail(String workload) {
        SuiteResult l = local(workload);
        List<SuiteResult> rs = of(workload);
        String note = report.results().isEmpty() ? "" : rs.getFirst().unit();
        Table t = new Table(workload, "target", "throughput (" + note + "/s)", "x local", "p50", "p99", "p99.9",
                "hit rate", "mean miss", "miss / floor", "check");
        double floor = report.floor().getMean();
        for (SuiteResult r : rs) {
            if (!r.ok()) {
                t.row(r.target(), "-", "-", "-", "-", "-", "-", "-", "-", r.failure());
                continue;
            }
            Histogram h = r.result().latency();
            CacheStats s = r.stats();
            boolean misses = s != null && s.misses() > 0;
            String rate = Units.count(r.result().opsPerSecond());
            if (r.repeats() > 1) {
                rate += " [" + Units.count(r.minRate()) + "-" + Units.count(r.maxRate()) + "]";
            }
            t.row(r.target(), rate,
                    r == l ? "1.00" : String.format(Locale.ROOT, "%.2f", slowdown(r)),
                    Units.nanos(h.getValueAtPercentile(50)), Units.nanos(h.getValueAtPercentile(99)),
                    Units.nanos(h.getValueAtPercentile(99.9)),
                    s == null ? "-" : Units.percent(s.hitRate()),
                    misses ? Units.nanos(s.meanMissNanos()) : "-",
                    misses ? String.format(Locale.ROOT, "%.2f", s.meanMissNanos() / floor) : "-",
                    r.result().check());
        }
        t.note("Throughput is the median run's, with [the lowest-the highest] run's when each cell ran more than once;"
                + " the other columns are the median run's."
                + " Latency is per operation of the workload (pagerank: per block of 512 vertices). 'mean miss' is"
                + " remem's mean time to fetch a block it did not hold (redis+csc's: to GET a chunk or record, a batch"
                + " of them counting its time for each); 'miss / floor' divides it by the mean ping-pong round trip"
                + " measured in this run.");
        return t;
    }

    public void writeCsv(Path file) {
        Table t = new Table("results", "workload", "family", "target", "kind", "cache_fraction", "ops", "seconds",
                "throughput", "unit", "slowdown", "p50_ns", "p99_ns", "p999_ns", "hit_rate", "mean_miss_ns",
                "miss_over_floor", "status", "repeats", "throughput_min", "throughput_max");
        double floor = report.floor().getMean();
        for (SuiteResult r : report.results()) {
            if (!r.ok()) {
                t.row(r.workload(), r.family(), r.target(), r.kind(), fraction(r), "", "", "", r.unit(), "", "", "",
                        "", "", "", "", r.failure(), "", "", "");
                continue;
            }
            Histogram h = r.result().latency();
            CacheStats s = r.stats();
            t.row(r.workload(), r.family(), r.target(), r.kind(), fraction(r), r.result().ops(),
                    fmt(r.result().nanos() / 1e9), fmt(r.result().opsPerSecond()), r.unit(), fmt(slowdown(r)),
                    h.getValueAtPercentile(50), h.getValueAtPercentile(99), h.getValueAtPercentile(99.9),
                    s == null ? "" : fmt(s.hitRate()), s == null || s.misses() == 0 ? "" : fmt(s.meanMissNanos()),
                    s == null || s.misses() == 0 ? "" : fmt(s.meanMissNanos() / floor), "ok: " + r.result().check(),
                    r.repeats(), fmt(r.minRate()), fmt(r.maxRate()));
        }
        t.writeCsv(file);
    }

    private static String fraction(SuiteResult r) {
        return Double.isNaN(r.cacheFraction()) ? "" : fmt(r.cacheFraction());
    }

    private static String fmt(double d) {
        return Double.isNaN(d) ? "" : String.format(Locale.ROOT, "%.4g", d);
    }

    /** Writes summary.md, results.csv and the charts into {@code dir}; returns the files written. */
    public List<Path> save(Path dir, String command) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("summary.md"), markdown(command));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write to " + dir, e);
        }
        writeCsv(dir.resolve("results.csv"));
        List<Path> files = new ArrayList<>(List.of(dir.resolve("summary.md"), dir.resolve("results.csv")));
        files.addAll(SuiteCharts.draw(this, dir));
        return files;
    }
}
