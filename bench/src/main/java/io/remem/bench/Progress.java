package io.remem.bench;

import io.remem.cli.Units;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.Console;
import java.io.PrintStream;
import java.util.Locale;

/** Progress of a long step. {@link #NONE} shows nothing (tests, quiet runs). */
public interface Progress {
    Progress NONE = (task, max, unit) -> new Step() {
        @Override
        public void stepTo(long n) {}

        @Override
        public void close() {}
    };

    /** Starts a step of {@code max} units; close it when done. */
    Step start(String task, long max, String unit);

    /** One running step. */
    interface Step extends AutoCloseable {
        void stepTo(long n);

        @Override
        void close();
    }

    /**
     * A progress bar redrawn in place on a terminal; elsewhere (a log, a pipe) a plain line every five seconds,
     * so logs stay readable.
     */
    static Progress onConsole(PrintStream out) {
        Console console = System.console();
        return console != null && console.isTerminal() ? bar(out) : lines(out, 5_000);
    }

    private static Progress bar(PrintStream out) {
        return (task, max, unit) -> {
            ProgressBar bar = new ProgressBarBuilder()
                    .setTaskName(task)
                    .setInitialMax(max)
                    .setUnit(" " + unit, 1)
                    .setStyle(ProgressBarStyle.ASCII)
                    .setUpdateIntervalMillis(250)
                    .setMaxRenderedLength(90)
                    .setConsumer(new ConsoleProgressBarConsumer(out))
                    .hideEta()
                    .build();
            return new Step() {
                @Override
                public void stepTo(long n) {
                    bar.stepTo(n);
                }

                @Override
                public void close() {
                    bar.close();
                }
            };
        };
    }

    /** One line per {@code everyMillis}, and one at the end. */
    static Progress lines(PrintStream out, long everyMillis) {
        return (task, max, unit) -> new Step() {
            private final long start = System.nanoTime();
            private long lastPrint = start;
            private long current;

            @Override
            public void stepTo(long n) {
                current = n;
                long now = System.nanoTime();
                if (now - lastPrint >= everyMillis * 1_000_000L) {
                    lastPrint = now;
                    print();
                }
            }

            @Override
            public void close() {
                print();
            }

            private void print() {
                out.printf(Locale.ROOT, "  %s %3.0f%%  %s / %s %s  (%.0f s)%n", task.strip(),
                        max == 0 ? 100.0 : 100.0 * current / max, Units.count(current), Units.count(max), unit,
                        (System.nanoTime() - start) / 1e9);
            }
        };
    }
}
