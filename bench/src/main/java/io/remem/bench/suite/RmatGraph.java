package io.remem.bench.suite;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A power-law graph from the R-MAT generator (Chakrabarti et al., 2004) with Graph500's quadrant probabilities
 * (0.57, 0.19, 0.19, 0.05), self-loops dropped, in compressed sparse row form by destination: the in-edges of
 * vertex {@code v} are {@code sources[inOffsets[v] .. inOffsets[v+1])}, in the order they were generated.
 */
record RmatGraph(int vertices, long[] inOffsets, int[] sources, long[] outDegree) {
    /** Rejects a graph too small to be a power law or too big for int edge indexes. */
    static void checkSize(int scale, int edgeFactor) {
        if (scale < 4 || scale > 26) {
            throw new IllegalArgumentException("graph scale " + scale + ": must be from 4 to 26");
        }
        if (edgeFactor < 1 || (long) edgeFactor << scale > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("edge factor " + edgeFactor + " at scale " + scale + " is out of range");
        }
    }

    static RmatGraph generate(int scale, int edgeFactor, long seed) {
        checkSize(scale, edgeFactor);
        int n = 1 << scale;
        int m = edgeFactor << scale;
        int[] src = new int[m];
        int[] dst = new int[m];
        SplittableRandom rnd = new SplittableRandom(seed);
        int kept = 0;
        for (int e = 0; e < m; e++) {
            int u = 0;
            int v = 0;
            for (int bit = scale - 1; bit >= 0; bit--) {
                double p = rnd.nextDouble();
                if (p < 0.57) {
                    continue;
                } else if (p < 0.76) {
                    v |= 1 << bit;
                } else if (p < 0.95) {
                    u |= 1 << bit;
                } else {
                    u |= 1 << bit;
                    v |= 1 << bit;
                }
            }
            if (u != v) {
                src[kept] = u;
                dst[kept] = v;
                kept++;
            }
        }
        long[] offsets = new long[n + 1];
        long[] outDegree = new long[n];
        for (int e = 0; e < kept; e++) {
            offsets[dst[e] + 1]++;
            outDegree[src[e]]++;
        }
        for (int v = 0; v < n; v++) {
            offsets[v + 1] += offsets[v];
        }
        int[] sources = new int[kept];
        long[] fill = offsets.clone();
        for (int e = 0; e < kept; e++) {
            sources[(int) fill[dst[e]]++] = src[e];
        }
        return new RmatGraph(n, offsets, sources, outDegree);
    }

    long edges() {
        return sources.length;
    }

    /**
     * PageRank over plain Java arrays: the reference every store's result must equal bit for bit. The same
     * floating-point operations in the same order as {@link PageRankWorkload}'s kernel. Starts from {@code start}
     * (the ranks after earlier iterations, updated in place) or, if null, from 1/n everywhere.
     */
    double[] pageRank(double[] start, int iterations, double damping) {
        double[] rank = start != null ? start : new double[vertices];
        double[] contrib = new double[vertices];
        if (start == null) {
            Arrays.fill(rank, 1.0 / vertices);
        }
        double base = (1 - damping) / vertices;
        for (int it = 0; it < iterations; it++) {
            for (int u = 0; u < vertices; u++) {
                contrib[u] = outDegree[u] == 0 ? 0 : rank[u] / outDegree[u];
            }
            for (int v = 0; v < vertices; v++) {
                double sum = 0;
                for (long e = inOffsets[v]; e < inOffsets[v + 1]; e++) {
                    sum += contrib[sources[(int) e]];
                }
                rank[v] = base + damping * sum;
            }
        }
        return rank;
    }
}
