package io.remem.bench;

import java.util.Arrays;
import java.util.function.DoubleFunction;

/** What a figure measured several times is reported as: its median, and its spread as "min - max". */
public final class Repeats {
    private Repeats() {
    }

    public static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** "min - max" of {@code v}, each formatted by {@code format}. */
    public static String spread(double[] v, DoubleFunction<String> format) {
        double min = Arrays.stream(v).min().orElse(0);
        double max = Arrays.stream(v).max().orElse(0);
        return format.apply(min) + " - " + format.apply(max);
    }
}
