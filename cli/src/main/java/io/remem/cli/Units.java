package io.remem.cli;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Sizes and times as people write and read them: {@code 256m}, {@code 1.5 GiB}, {@code 30s}, {@code 42.1 µs}. */
public final class Units {
    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([kmgt]?)(?:i?b)?", Pattern.CASE_INSENSITIVE);
    private static final Pattern TIME = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ns|us|µs|ms|s|m|h)?", Pattern.CASE_INSENSITIVE);

    /** "µs" where the console can show it, else "us". */
    private static final String MICROS = System.getProperty("stdout.encoding", "").toUpperCase(Locale.ROOT).startsWith("UTF")
            ? "µs" : "us";

    private Units() {}

    /**
     * Parses a byte count: a number with an optional binary suffix k, m, g or t ({@code 4k} = 4096).
     * {@code what} names the setting in the error.
     */
    public static long parseBytes(String text, String what) {
        Matcher m = SIZE.matcher(text == null ? "" : text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException(what + ": '" + text + "' is not a size; use a number with an optional"
                    + " k, m, g or t suffix, like 256m or 2g");
        }
        double value = Double.parseDouble(m.group(1));
        int shift = switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            case "t" -> 40;
            default -> 0;
        };
        double bytes = value * (1L << shift);
        if (bytes > Long.MAX_VALUE / 2) {
            throw new IllegalArgumentException(what + ": '" + text + "' is too large");
        }
        if (bytes != Math.floor(bytes)) {
            throw new IllegalArgumentException(what + ": '" + text + "' is not a whole number of bytes");
        }
        return (long) bytes;
    }

    /** Parses a duration: a number with an optional unit ns, us, ms, s (the default), m or h. */
    public static Duration parseDuration(String text, String what) {
        Matcher m = TIME.matcher(text == null ? "" : text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException(what + ": '" + text + "' is not a duration; use a number with a unit,"
                    + " like 500ms, 30s or 2m");
        }
        double v = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2).toLowerCase(Locale.ROOT);
        double nanos = switch (unit) {
            case "ns" -> v;
            case "us", "µs" -> v * 1e3;
            case "ms" -> v * 1e6;
            case "s" -> v * 1e9;
            case "m" -> v * 60e9;
            default -> v * 3600e9;
        };
        return Duration.ofNanos((long) nanos);
    }

    /** {@code 1536} as {@code 1.5 KiB}. */
    public static String bytes(double bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        int u = 0;
        double v = bytes;
        while (Math.abs(v) >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? String.format(Locale.ROOT, "%.0f B", v) : String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    /** Nanoseconds in the unit that reads best: {@code 850 ns}, {@code 42.1 µs}, {@code 3.2 ms}. */
    public static String nanos(double nanos) {
        if (nanos < 1_000) {
            return String.format(Locale.ROOT, "%.0f ns", nanos);
        }
        if (nanos < 1_000_000) {
            return String.format(Locale.ROOT, "%.1f %s", nanos / 1e3, MICROS);
        }
        if (nanos < 1_000_000_000) {
            return String.format(Locale.ROOT, "%.1f ms", nanos / 1e6);
        }
        return String.format(Locale.ROOT, "%.2f s", nanos / 1e9);
    }

    /** {@code 1234567} as {@code 1,234,567}. */
    public static String count(double n) {
        return String.format(Locale.ROOT, "%,.0f", n);
    }

    /** A ratio to a baseline, as "1.23x". */
    public static String ratio(double r) {
        return String.format(Locale.ROOT, "%.2fx", r);
    }

    public static String percent(double fraction) {
        return String.format(Locale.ROOT, "%.1f%%", fraction * 100);
    }
}
