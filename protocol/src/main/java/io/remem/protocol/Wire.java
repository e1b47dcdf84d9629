package io.remem.protocol;

/**
 * The fixed layout of a remem frame. Every frame, request or response, is
 *
 * <pre>
 *   u32 length            bytes that follow this field (header + body)
 *   u8  version           {@link #VERSION}
 *   u8  opcode            {@link Opcode}
 *   u16 flags             bit 0: this frame is a response; bit 1: this request retries an earlier one
 *   u32 status            {@link ErrorCode} in a response, 0 in a request
 *   u64 requestId         chosen by the sender of the request, echoed in the response
 *   u32 session           assigned by the HELLO response; 0 before it
 *   u64 slabId
 *   u64 offset
 *   u32 length            meaning depends on the opcode (bytes to read, number of runs, ...)
 *   ... body
 * </pre>
 *
 * All integers are big-endian (network order), which is Netty's default.
 */
public final class Wire {
    private Wire() {}

    /**
     * 3: authenticated sessions (challenge-response and tokens), admin operations, node identities, replica
     * capabilities, checksums in flight. 2: operation ids and retries, replica epochs, registration reconcile, repair
     * status.
     */
    public static final int VERSION = 3;

    public static final int LENGTH_FIELD_BYTES = 4;
    public static final int HEADER_BYTES = 40;
    /** Length prefix plus header: the smallest possible frame. */
    public static final int FRAME_OVERHEAD = LENGTH_FIELD_BYTES + HEADER_BYTES;

    /** The largest body any frame may carry. Bounds every allocation a peer can make us do. */
    public static final int MAX_BODY_BYTES = 16 << 20;
    /** The largest value of the length prefix. */
    public static final int MAX_FRAME_BYTES = HEADER_BYTES + MAX_BODY_BYTES;
    /** Largest READ a single request may ask for. */
    public static final int MAX_READ_BYTES = MAX_BODY_BYTES;
    /** Largest number of runs in one WRITEV. */
    public static final int MAX_WRITE_RUNS = 1 << 16;
    /** Per-run overhead inside a WRITEV body: u64 slabId, u64 offset, u32 length. */
    public static final int WRITE_RUN_HEADER_BYTES = 20;
    /** Largest encoded string (tenant names, host names, messages). */
    public static final int MAX_STRING_BYTES = 4096;

    /**
     * The largest frame a connection may send before its session is open: enough for HELLO and AUTH, so a peer that
     * has proven nothing cannot make a server buffer more than this.
     */
    public static final int DEFAULT_PRE_AUTH_FRAME_BYTES = 4096;

    public static final int FLAG_RESPONSE = 1;
    /**
     * On a WRITEV, CAS or FAA: this request repeats an earlier one with the same operation id, whose answer was lost.
     * A memory node that applied the original answers from its window of recent operations instead (Clio's T4).
     */
    public static final int FLAG_RETRY = 2;

    // Offsets inside the header, counted from the first byte after the length prefix.
    static final int OFF_VERSION = 0;
    static final int OFF_OPCODE = 1;
    static final int OFF_FLAGS = 2;
    static final int OFF_STATUS = 4;
    static final int OFF_REQUEST_ID = 8;
    static final int OFF_SESSION = 16;
    static final int OFF_SLAB = 20;
    static final int OFF_OFFSET = 28;
    static final int OFF_LENGTH = 36;
}
