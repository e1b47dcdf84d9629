package io.remem.protocol;

/**
 * Typed error codes carried in the status field of a response. Codes are part of the wire format.
 * A response with a non-zero status carries a UTF-8 message as its body.
 */
public enum ErrorCode {
    OK(0, "ok"),
    MALFORMED_FRAME(1, "malformed frame"),
    UNSUPPORTED_VERSION(2, "unsupported protocol version"),
    UNKNOWN_OPCODE(3, "unknown opcode"),
    NOT_AUTHENTICATED(4, "no session: HELLO must come first"),
    SESSION_MISMATCH(5, "frame names another session"),
    NO_SUCH_SLAB(6, "no such slab"),
    ACCESS_DENIED(7, "access denied"),
    OUT_OF_BOUNDS(8, "out of bounds"),
    MISALIGNED(9, "misaligned"),
    NODE_OUT_OF_MEMORY(10, "memory node out of memory"),
    QUOTA_EXCEEDED(11, "tenant quota exceeded"),
    CLUSTER_OUT_OF_CAPACITY(12, "cluster out of capacity"),
    NODE_UNAVAILABLE(13, "memory node unavailable"),
    SLAB_EXISTS(14, "slab already exists"),
    TOO_LARGE(15, "request too large"),
    INVALID_ARGUMENT(16, "invalid argument"),
    WRONG_ROLE(17, "operation not allowed for this role"),
    INTERNAL(18, "internal error"),
    /**
     * The slab's replica set changed and this session has not said it knows the new one (SLAB_EPOCH): the client
     * must look the slab up again, so that its writes reach every replica, and retry.
     */
    STALE_MAP(19, "slab map out of date"),
    /** The slab is here but not readable yet: its copy is still being made, or a restart awaits the controller. */
    REPLICA_NOT_READY(20, "replica not ready"),
    /**
     * The HELLO or AUTH did not prove an identity: an unknown name or key, a wrong proof, or a bad or expired token. One
     * code and one message for every cause, and the connection is closed.
     */
    AUTHENTICATION_FAILED(21, "authentication failed"),
    /** Stored data failed its checksum: the copy is quarantined, and served by no one, until it is repaired. */
    DATA_CORRUPT(22, "stored data failed its checksum"),
    /** Data in flight failed its checksum ({@link Features#CHECKSUMS}); nothing was applied, and a retry may succeed. */
    CHECKSUM_MISMATCH(23, "checksum mismatch in flight"),
    /** A limit of the server was reached (connections, for example); try again later or elsewhere. */
    OVERLOADED(24, "server overloaded"),
    /**
     * The runtime's lease expired (it was not renewed within the controller's lease timeout, say across a partition)
     * and the controller freed the slabs it held: their data is gone.
     */
    LEASE_EXPIRED(25, "lease expired"),
    /** No dataset of that name belongs to the tenant. */
    NO_SUCH_DATASET(26, "no such dataset"),
    /** A dataset of that name exists already. */
    DATASET_EXISTS(27, "dataset exists"),
    /** The dataset is open in another runtime session; delete it with force to close it under them. */
    DATASET_IN_USE(28, "dataset in use"),
    /** Raised locally: no response arrived in time. Never sent on the wire. */
    TIMEOUT(100, "timed out"),
    /** Raised locally: the connection closed before a response arrived. Never sent on the wire. */
    CONNECTION_CLOSED(101, "connection closed");

    private static final ErrorCode[] BY_CODE = new ErrorCode[128];

    static {
        for (ErrorCode e : values()) {
            BY_CODE[e.code] = e;
        }
    }

    private final int code;
    private final String summary;

    ErrorCode(int code, String summary) {
        this.code = code;
        this.summary = summary;
    }

    public int code() {
        return code;
    }

    public String summary() {
        return summary;
    }

    /** Maps a wire status to its code; an unknown status is reported as {@link #INTERNAL}, never dropped. */
    public static ErrorCode ofCode(int code) {
        ErrorCode e = code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
        return e == null ? INTERNAL : e;
    }
}
