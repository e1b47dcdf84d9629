package io.remem.bench.suite;

import org.HdrHistogram.Histogram;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.internal.chartpart.Chart;
import org.knowm.xchart.style.Styler;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The suite's PNG charts, drawn with XChart. */
final class SuiteCharts {
    private static final int WIDTH = 900;
    private static final int HEIGHT = 520;

    private SuiteCharts() {}

    static List<Path> draw(SuiteReport report, Path dir) {
        System.setProperty("java.awt.headless", "true");
        List<Path> files = new ArrayList<>();
        files.add(save(sweep(report), dir.resolve("sweep.png")));
        files.add(save(peers(report), dir.resolve("peers.png")));
        for (String w : report.workloads()) {
            files.add(save(cdf(report, w), dir.resolve("cdf-" + slug(w) + ".png")));
        }
        return files;
    }

    /** The hockey stick: slowdown against the share of the footprint held locally, one line per workload. */
    private static XYChart sweep(SuiteReport report) {
        XYChart c = new XYChartBuilder().width(WIDTH).height(HEIGHT).title("remem: slowdown against all-local by local memory")
                .xAxisTitle("local cache, % of footprint").yAxisTitle("slowdown (x all-local)").build();
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideNE);
        c.getStyler().setYAxisLogarithmic(true);
        for (String w : report.workloads()) {
            List<Double> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            for (SuiteResult r : report.of(w)) {
                if (r.kind().equals("remem") && r.ok() && plottable(report.slowdown(r))) {
                    x.add(r.cacheFraction() * 100);
                    y.add(report.slowdown(r));
                }
            }
            if (!x.isEmpty()) {
                c.addSeries(w, x, y);
            }
        }
        return c;
    }

    /** Every target's throughput as a share of all-local's, per workload: higher is better. */
    private static CategoryChart peers(SuiteReport report) {
        CategoryChart c = new CategoryChartBuilder().width(Math.max(WIDTH, 160 * report.workloads().size())).height(HEIGHT)
                .title("Throughput against all-local, same workload and threads").xAxisTitle("workload")
                .yAxisTitle("throughput / all-local's").build();
        c.getStyler().setYAxisLogarithmic(true);
        c.getStyler().setLegendPosition(Styler.LegendPosition.OutsideS);
        c.getStyler().setXAxisLabelRotation(20);
        List<String> targets = new ArrayList<>();
        for (SuiteResult r : report.report().results()) {
            boolean compared = r.kind().equals("peer") || r.kind().equals("classic") || r.kind().equals("local")
                    || r.kind().equals("remem-farmap")
                    || (r.kind().equals("remem") && r.cacheFraction() == report.report().config().peerFraction());
            if (compared && !targets.contains(r.target())) {
                targets.add(r.target());
            }
        }
        List<String> workloads = report.workloads();
        double min = 1;
        for (String t : targets) {
            List<Double> y = new ArrayList<>();
            for (String w : workloads) {
                double v = report.of(w).stream().filter(r -> r.target().equals(t) && r.ok())
                        .mapToDouble(r -> 1 / report.slowdown(r)).findFirst().orElse(Double.NaN);
                y.add(plottable(v) ? v : null);
                min = plottable(v) ? Math.min(min, v) : min;
            }
            c.addSeries(t, workloads, y);
        }
        // Bars grow from the axis minimum; XChart needs it set, below every bar, for a log axis.
        c.getStyler().setYAxisMin(Math.pow(10, Math.floor(Math.log10(min))));
        return c;
    }

    /** Latency CDF of one workload on every target, log time axis. */
    private static XYChart cdf(SuiteReport report, String workload) {
        XYChart c = new XYChartBuilder().width(WIDTH).height(HEIGHT).title("Latency CDF: " + workload)
                .xAxisTitle("latency per operation (µs)").yAxisTitle("fraction of operations").build();
        c.getStyler().setXAxisLogarithmic(true);
        c.getStyler().setLegendPosition(Styler.LegendPosition.InsideSE);
        c.getStyler().setMarkerSize(0);
        for (SuiteResult r : report.of(workload)) {
            if (!r.ok() || r.result().latency().getTotalCount() == 0) {
                continue;
            }
            Histogram h = r.result().latency();
            List<Double> x = new ArrayList<>();
            List<Double> y = new ArrayList<>();
            for (double p : new double[] {0, 1, 5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 99, 99.5, 99.9, 99.99, 100}) {
                // latencies are whole nanoseconds; the floor keeps a 0 off the log axis
                x.add(Math.max(0.01, h.getValueAtPercentile(p) / 1000.0));
                y.add(p / 100);
            }
            c.addSeries(r.target(), x, y);
        }
        return c;
    }

    private static Path save(Chart<?, ?> chart, Path file) {
        String name = file.toString();
        try {
            BitmapEncoder.saveBitmap(chart, name.substring(0, name.length() - ".png".length()), BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
        return file;
    }

    /** Log axes take only finite positive values. */
    private static boolean plottable(double v) {
        return Double.isFinite(v) && v > 0;
    }

    static String slug(String name) {
        return name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("(^-|-$)", "");
    }
}
