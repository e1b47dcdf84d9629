package io.remem.transport;

/**
 * A link's round-trip time, smoothed as TCP's retransmission timer smooths it (RFC 6298: gains 1/8 and 1/4), from
 * which a deadline a little past what the peer usually takes is drawn. Updated by the threads whose calls complete;
 * a lost update between racing samples only makes the estimate a little less smooth.
 */
final class RoundTripEstimate {
    private volatile long smoothedNanos;
    private volatile long variationNanos;

    void sample(long nanos) {
        long srtt = smoothedNanos;
        if (srtt == 0) {
            smoothedNanos = nanos;
            variationNanos = nanos / 2;
            return;
        }
        variationNanos = variationNanos - (variationNanos >> 2) + (Math.abs(srtt - nanos) >> 2);
        smoothedNanos = srtt - (srtt >> 3) + (nanos >> 3);
    }

    /**
     * The smoothed round trip plus eight times its variation (a high percentile of what the peer usually takes), at
     * least {@code floorNanos} and at most {@code ceilingNanos}; just the floor before the first sample.
     */
    long deadline(long floorNanos, long ceilingNanos) {
        return Math.min(ceilingNanos, Math.max(floorNanos, smoothedNanos + 8 * variationNanos));
    }
}
