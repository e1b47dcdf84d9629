package io.remem.bench;

import java.util.random.RandomGenerator;

/**
 * Zipf-distributed ranks in {@code [0, n)}, by the method of Gray et al., "Quickly generating billion-record
 * synthetic databases" (SIGMOD 1994), as in YCSB's ZipfianGenerator: rank 0 is the most popular. With
 * {@link #scrambled} the ranks are spread over the item space by a hash, as YCSB's ScrambledZipfianGenerator
 * does, so popular items are not all neighbours.
 */
public final class ZipfGenerator {
    private static final long EXACT_TERMS = 1_000_000;

    private final long n;
    private final double theta;
    private final double alpha;
    private final double zetan;
    private final double eta;
    private final double halfPowTheta;
    private final boolean scrambled;

    private ZipfGenerator(long n, double theta, boolean scrambled) {
        if (n < 2) {
            throw new IllegalArgumentException("n: need at least 2 items, got " + n);
        }
        if (!(theta > 0 && theta < 1)) {
            throw new IllegalArgumentException("theta: " + theta + " must be in (0, 1)");
        }
        this.n = n;
        this.theta = theta;
        this.scrambled = scrambled;
        this.alpha = 1 / (1 - theta);
        this.zetan = zeta(n, theta);
        double zeta2 = zeta(2, theta);
        this.eta = (1 - Math.pow(2.0 / n, 1 - theta)) / (1 - zeta2 / zetan);
        this.halfPowTheta = 1 + Math.pow(0.5, theta);
    }

    /** Ranks as drawn: 0 is the hottest item. */
    public static ZipfGenerator ranked(long n, double theta) {
        return new ZipfGenerator(n, theta, false);
    }

    /** Ranks hashed over {@code [0, n)}, so hot items are scattered. */
    public static ZipfGenerator scrambled(long n, double theta) {
        return new ZipfGenerator(n, theta, true);
    }

    public long next(RandomGenerator random) {
        double u = random.nextDouble();
        double uz = u * zetan;
        long rank;
        if (uz < 1) {
            rank = 0;
        } else if (uz < halfPowTheta) {
            rank = 1;
        } else {
            rank = Math.min(n - 1, (long) (n * Math.pow(eta * u - eta + 1, alpha)));
        }
        return scrambled ? Long.remainderUnsigned(mix(rank), n) : rank;
    }

    /**
     * The generalized harmonic number {@code sum(i^-theta, i = 1..n)}: exact for the first million terms, then
     * by the Euler-Maclaurin formula, whose error there is far below a double's precision.
     */
    static double zeta(long n, double theta) {
        long exact = Math.min(n, EXACT_TERMS);
        double sum = 0;
        for (long i = exact; i >= 1; i--) { // smallest terms first, for accuracy
            sum += Math.pow(i, -theta);
        }
        if (n > exact) {
            double a = exact + 1;
            double b = n;
            double integral = (Math.pow(b, 1 - theta) - Math.pow(a, 1 - theta)) / (1 - theta);
            double ends = (Math.pow(a, -theta) + Math.pow(b, -theta)) / 2;
            double slope = (-theta * Math.pow(b, -theta - 1) + theta * Math.pow(a, -theta - 1)) / 12;
            sum += integral + ends + slope;
        }
        return sum;
    }

    /** A bijective 64-bit mixer (the finalizer of SplitMix64). */
    public static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
