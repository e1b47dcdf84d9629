package io.remem.client;

import io.remem.protocol.Limits;
import io.remem.protocol.RememException;
import io.remem.protocol.TenantName;
import io.remem.protocol.auth.Secret;
import io.remem.transport.TlsConfig;

import java.nio.file.Path;
import java.time.Duration;

/**
 * How a runtime connects and how big its local cache is. Immutable; build one with {@link #builder()}.
 * Every value is checked by {@link Builder#build()}, and an invalid one is named in the exception.
 */
public final class RememOptions {
    private final String tenant;
    private final Secret secret;
    private final TlsConfig tls;
    private final boolean checksums;
    private final long cacheBytes;
    private final int blockSize;
    private final double lowWatermark;
    private final double highWatermark;
    private final Duration connectTimeout;
    private final Duration requestTimeout;
    private final Duration failoverTimeout;
    private final Duration readFailoverAfter;
    private final int replication;
    private final int ioThreads;
    private final EvictionPolicy evictionPolicy;
    private final DirtyTracking dirtyTracking;
    private final boolean backgroundReclaim;
    private final int prefetchWindow;
    private final Duration spinWait;

    private RememOptions(Builder b) {
        this.tenant = b.tenant;
        this.secret = b.secret;
        this.tls = b.tls();
        this.checksums = b.checksums;
        this.cacheBytes = b.cacheBytes;
        this.blockSize = b.blockSize;
        this.lowWatermark = b.lowWatermark;
        this.highWatermark = b.highWatermark;
        this.connectTimeout = b.connectTimeout;
        this.requestTimeout = b.requestTimeout;
        this.failoverTimeout = b.failoverTimeout;
        this.readFailoverAfter = b.readFailoverAfter;
        this.replication = b.replication;
        this.ioThreads = b.ioThreads;
        this.evictionPolicy = b.evictionPolicy;
        this.dirtyTracking = b.dirtyTracking;
        this.backgroundReclaim = b.backgroundReclaim;
        this.prefetchWindow = b.prefetchWindow;
        this.spinWait = b.spinWait;
    }

    public static Builder builder() {
        return new Builder();
    }

    public static RememOptions defaults() {
        return builder().build();
    }

    /** The tenant this runtime acts for. Default {@code default}. */
    public String tenant() {
        return tenant;
    }

    /**
     * The tenant's secret, as {@code remem tenant add} printed it; null if none was given (then connecting fails).
     * It is proven to the controller by challenge-response and never sent.
     */
    public Secret secret() {
        return secret;
    }

    /** TLS for every connection this runtime opens, or null for plain TCP. */
    public TlsConfig tls() {
        return tls;
    }

    /** Whether data in flight carries CRC32C checksums, checked by the receiver. Default true. */
    public boolean checksums() {
        return checksums;
    }

    /** Bytes of local cache. Default 256 MiB. */
    public long cacheBytes() {
        return cacheBytes;
    }

    /** Bytes per cache block, the unit of fetch. Default 4096. */
    public int blockSize() {
        return blockSize;
    }

    /** The reclaimer starts when fewer than this fraction of frames are free. Default 1/64. */
    public double lowWatermark() {
        return lowWatermark;
    }

    /** The reclaimer stops when this fraction of frames is free. Default 1/32. */
    public double highWatermark() {
        return highWatermark;
    }

    public Duration connectTimeout() {
        return connectTimeout;
    }

    /** How long one request to a memory node or the controller may take. Default 10 s. */
    public Duration requestTimeout() {
        return requestTimeout;
    }

    /**
     * How long a read or a write-back keeps failing over (other replicas, a fresh slab map, waiting for the controller
     * to replace a dead node) before the error reaches the application.
     */
    public Duration failoverTimeout() {
        return failoverTimeout;
    }

    /**
     * The least time a read waits for a replica before it tries another, when the slab has another readable replica:
     * the actual wait is this or a high percentile of that node's recent latency, whichever is longer, so a stalled node
     * costs a read this long rather than the request timeout. Default 200 ms.
     */
    public Duration readFailoverAfter() {
        return readFailoverAfter;
    }

    /** Copies of each slab this session allocates; 0 (the default) lets the controller choose: 2 if it can, else 1. */
    public int replication() {
        return replication;
    }

    public int ioThreads() {
        return ioThreads;
    }

    /** Which block to evict. Default {@link EvictionPolicy#CLOCK}. */
    public EvictionPolicy evictionPolicy() {
        return evictionPolicy;
    }

    /** Granularity of dirty tracking and write-back. Default {@link DirtyTracking#LINE}. */
    public DirtyTracking dirtyTracking() {
        return dirtyTracking;
    }

    /**
     * Whether a background reclaimer keeps a reserve of free frames (default), or each miss evicts a block itself
     * when frames run out, writing a dirty victim back in the same request as its fetch (LegoOS's piggyback).
     */
    public boolean backgroundReclaim() {
        return backgroundReclaim;
    }

    /** The most blocks the prefetcher fetches ahead of one thread's access stream; 0 turns it off. Default 32. */
    public int prefetchWindow() {
        return prefetchWindow;
    }

    /**
     * How long a thread waiting for a memory node's answer spins on the socket before it blocks. Blocking pays a
     * wake-up when the answer comes, and across CPUs that wake-up can be most of a loopback round trip. The spin
     * happens only while the thread is its process's one waiter and the process may use more than one CPU; otherwise
     * it would take CPU from the threads, or the memory node, it waits for. Default 100 µs; zero turns it off.
     */
    public Duration spinWait() {
        return spinWait;
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.tenant = tenant;
        b.secret = secret;
        if (tls != null) {
            b.tlsCa = tls.trustCa();
            b.tlsCert = tls.certChain();
            b.tlsKey = tls.privateKey();
        }
        b.checksums = checksums;
        b.cacheBytes = cacheBytes;
        b.blockSize = blockSize;
        b.lowWatermark = lowWatermark;
        b.highWatermark = highWatermark;
        b.connectTimeout = connectTimeout;
        b.requestTimeout = requestTimeout;
        b.failoverTimeout = failoverTimeout;
        b.readFailoverAfter = readFailoverAfter;
        b.replication = replication;
        b.ioThreads = ioThreads;
        b.evictionPolicy = evictionPolicy;
        b.dirtyTracking = dirtyTracking;
        b.backgroundReclaim = backgroundReclaim;
        b.prefetchWindow = prefetchWindow;
        b.spinWait = spinWait;
        return b;
    }

    CacheConfig cacheConfig() {
        int frames = (int) (cacheBytes / blockSize);
        int low = Math.max(1, (int) (frames * lowWatermark));
        int high = Math.max(low + 1, (int) (frames * highWatermark));
        return new CacheConfig(blockSize, frames, low, Math.min(high, frames), requestTimeout.multipliedBy(3).plus(failoverTimeout),
                evictionPolicy, dirtyTracking, backgroundReclaim, prefetchWindow);
    }

    @Override
    public String toString() {
        return "RememOptions[tenant=" + tenant + (secret == null ? "" : ", secret " + secret.keyId())
                + (tls == null ? "" : ", tls") + ", checksums=" + checksums + ", cacheBytes=" + cacheBytes + ", blockSize=" + blockSize
                + ", watermarks=" + lowWatermark + "/" + highWatermark + ", requestTimeout=" + requestTimeout
                + ", failoverTimeout=" + failoverTimeout + ", readFailoverAfter=" + readFailoverAfter + ", replication=" + replication
                + ", evictionPolicy=" + evictionPolicy + ", dirtyTracking=" + dirtyTracking
                + ", backgroundReclaim=" + backgroundReclaim + ", prefetchWindow=" + prefetchWindow + ", spinWait=" + spinWait + "]";
    }

    /** Builds {@link RememOptions}. */
    public static final class Builder {
        /** Fewest frames a cache may have: enough for a few threads to fault at once. */
        public static final int MIN_FRAMES = 4;
        /** Most frames: keeps the per-frame arrays well inside Java's array limits. */
        public static final int MAX_FRAMES = 1 << 26;
        /** Longest spin: past a millisecond a blocking wait's wake-up is noise, and the spin only burns a CPU. */
        public static final Duration MAX_SPIN = Duration.ofMillis(1);

        private String tenant = "default";
        private Secret secret;
        private char[] secretText;
        private Path tlsCa;
        private Path tlsCert;
        private Path tlsKey;
        private boolean checksums = true;
        private long cacheBytes = 256L << 20;
        private int blockSize = 4096;
        private double lowWatermark = 1.0 / 64;
        private double highWatermark = 1.0 / 32;
        private Duration connectTimeout = Duration.ofSeconds(3);
        private Duration requestTimeout = Duration.ofSeconds(10);
        private Duration failoverTimeout = Duration.ofSeconds(30);
        private Duration readFailoverAfter = Duration.ofMillis(200);
        private int replication;
        private int ioThreads = 2;
        private EvictionPolicy evictionPolicy = EvictionPolicy.CLOCK;
        private DirtyTracking dirtyTracking = DirtyTracking.LINE;
        private boolean backgroundReclaim = true;
        private int prefetchWindow = 32;
        private Duration spinWait = Duration.ofNanos(100_000);

        private Builder() {}

        public Builder tenant(String tenant) {
            this.tenant = tenant;
            return this;
        }

        /**
         * The tenant's secret, as {@code remem tenant add} printed it. The array is copied; clear yours afterwards.
         * Checked by {@link #build()}.
         */
        public Builder secret(char[] secret) {
            this.secretText = secret == null ? null : secret.clone();
            this.secret = null;
            return this;
        }

        /** The tenant's secret, already parsed. */
        public Builder secret(Secret secret) {
            this.secret = secret;
            this.secretText = null;
            return this;
        }

        /** TLS on every connection, trusting servers whose certificates chain to {@code caFile} (PEM). */
        public Builder tls(Path caFile) {
            this.tlsCa = caFile;
            return this;
        }

        /** With {@link #tls}, present this certificate chain and PKCS#8 key (PEM) to servers that ask (mutual TLS). */
        public Builder tlsClientCertificate(Path certChain, Path privateKey) {
            this.tlsCert = certChain;
            this.tlsKey = privateKey;
            return this;
        }

        /** Whether data in flight carries CRC32C checksums (default true). */
        public Builder checksums(boolean on) {
            this.checksums = on;
            return this;
        }

        private TlsConfig tls() {
            return tlsCa == null && tlsCert == null ? null : new TlsConfig(tlsCert, tlsKey, tlsCa, false);
        }

        public Builder cacheBytes(long cacheBytes) {
            this.cacheBytes = cacheBytes;
            return this;
        }

        public Builder blockSize(int blockSize) {
            this.blockSize = blockSize;
            return this;
        }

        /** Fractions of the frames: the reclaimer runs from below {@code low} free until {@code high} are free. */
        public Builder watermarks(double low, double high) {
            this.lowWatermark = low;
            this.highWatermark = high;
            return this;
        }

        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = timeout;
            return this;
        }

        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = timeout;
            return this;
        }

        /** How long a waiting thread spins before it blocks (see {@link RememOptions#spinWait}); zero: never. */
        public Builder spinWait(Duration spin) {
            this.spinWait = spin;
            return this;
        }

        /** How long reads and write-backs keep failing over before they fail; default 30 s. */
        public Builder failoverTimeout(Duration timeout) {
            this.failoverTimeout = timeout;
            return this;
        }

        /** The least time a read waits for one replica before trying another (see {@link RememOptions#readFailoverAfter}). */
        public Builder readFailoverAfter(Duration after) {
            this.readFailoverAfter = after;
            return this;
        }

        /** Copies of each slab; 0 lets the controller choose (2 where there are two memory nodes, else 1). */
        public Builder replication(int copies) {
            this.replication = copies;
            return this;
        }

        public Builder ioThreads(int threads) {
            this.ioThreads = threads;
            return this;
        }

        public Builder evictionPolicy(EvictionPolicy policy) {
            this.evictionPolicy = policy;
            return this;
        }

        public Builder dirtyTracking(DirtyTracking tracking) {
            this.dirtyTracking = tracking;
            return this;
        }

        /** False: no reserve of free frames; a miss evicts a victim itself (see {@link RememOptions#backgroundReclaim}). */
        public Builder backgroundReclaim(boolean on) {
            this.backgroundReclaim = on;
            return this;
        }

        /** The most blocks fetched ahead of one access stream, 0 to 1024; 0 turns prefetching off. */
        public Builder prefetchWindow(int blocks) {
            this.prefetchWindow = blocks;
            return this;
        }

        /** @throws IllegalArgumentException naming the first invalid option */
        public RememOptions build() {
            try {
                TenantName.check(tenant);
            } catch (RememException e) {
                throw new IllegalArgumentException("tenant: " + e.detail());
            }
            if (secretText != null) {
                try {
                    secret = Secret.parse(secretText, "secret");
                } catch (RememException e) {
                    throw new IllegalArgumentException(e.detail());
                }
            }
            if (tlsCert != null && tlsCa == null) {
                throw new IllegalArgumentException("tlsClientCertificate: needs tls(caFile) as well");
            }
            try {
                tls();
            } catch (RememException e) {
                throw new IllegalArgumentException("tls: " + e.detail());
            }
            if (blockSize < 256 || blockSize > 65536 || Integer.bitCount(blockSize) != 1) {
                throw new IllegalArgumentException("blockSize: " + blockSize + " must be a power of two from 256 to 65536");
            }
            long frames = cacheBytes / blockSize;
            if (cacheBytes <= 0 || frames < MIN_FRAMES) {
                throw new IllegalArgumentException("cacheBytes: " + cacheBytes + " holds fewer than " + MIN_FRAMES
                        + " blocks of " + blockSize + " bytes");
            }
            if (frames > MAX_FRAMES) {
                throw new IllegalArgumentException("cacheBytes: " + cacheBytes + " is more than " + MAX_FRAMES
                        + " blocks of " + blockSize + " bytes; use a larger block size");
            }
            if (!(lowWatermark > 0 && lowWatermark < highWatermark && highWatermark < 1)) {
                throw new IllegalArgumentException("watermarks: need 0 < low < high < 1, got " + lowWatermark + " and " + highWatermark);
            }
            if (connectTimeout == null || connectTimeout.isNegative() || connectTimeout.isZero()) {
                throw new IllegalArgumentException("connectTimeout: must be positive");
            }
            if (requestTimeout == null || requestTimeout.isNegative() || requestTimeout.isZero()) {
                throw new IllegalArgumentException("requestTimeout: must be positive");
            }
            if (failoverTimeout == null || failoverTimeout.isNegative() || failoverTimeout.isZero()) {
                throw new IllegalArgumentException("failoverTimeout: must be positive");
            }
            if (readFailoverAfter == null || readFailoverAfter.compareTo(Duration.ofMillis(1)) < 0
                    || readFailoverAfter.compareTo(requestTimeout) > 0) {
                throw new IllegalArgumentException("readFailoverAfter: " + readFailoverAfter + " is outside 1 ms.."
                        + "requestTimeout (" + requestTimeout + ")");
            }
            if (replication < 0 || replication > Limits.MAX_REPLICATION) {
                throw new IllegalArgumentException("replication: " + replication + " is outside 0.."
                        + Limits.MAX_REPLICATION + " (0: the cluster's default)");
            }
            if (ioThreads < 1 || ioThreads > 64) {
                throw new IllegalArgumentException("ioThreads: " + ioThreads + " is outside 1..64");
            }
            if (evictionPolicy == null) {
                throw new IllegalArgumentException("evictionPolicy: must not be null");
            }
            if (dirtyTracking == null) {
                throw new IllegalArgumentException("dirtyTracking: must not be null");
            }
            if (prefetchWindow < 0 || prefetchWindow > 1024) {
                throw new IllegalArgumentException("prefetchWindow: " + prefetchWindow + " is outside 0..1024");
            }
            if (spinWait == null || spinWait.isNegative() || spinWait.compareTo(MAX_SPIN) > 0) {
                throw new IllegalArgumentException("spinWait: " + spinWait + " is outside 0.." + MAX_SPIN.toMillis() + " ms");
            }
            return new RememOptions(this);
        }
    }
}
