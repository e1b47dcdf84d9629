package io.remem.protocol;

/**
 * Every request a remem peer understands. Codes are part of the wire format and never change meaning.
 */
public enum Opcode {
    /**
     * Opens a session: names the protocol version, the role and who the sender claims to be, with a token or the id of
     * the secret it will prove ({@link Hello}). Answered with the open session or a challenge ({@link HelloReply}).
     */
    HELLO(0x01, Audience.ANY),
    /** Answers a HELLO's challenge with a proof of the secret ({@link AuthProof}); answered like HELLO. */
    AUTH(0x03, Audience.ANY),
    /** Echoes its body; used for liveness and to measure the network floor. */
    PING(0x02, Audience.ANY),

    /** Reads {@code length} bytes at {@code offset} of {@code slabId}. */
    READ(0x10, Audience.MEMORY_NODE),
    /** Scatter write: {@code length} runs of (slabId, offset, bytes), applied all or none. */
    WRITEV(0x11, Audience.MEMORY_NODE),
    /** Compare-and-swap of the 8-byte word at {@code offset}. */
    CAS(0x12, Audience.MEMORY_NODE),
    /** Fetch-and-add of the 8-byte word at {@code offset}. */
    FAA(0x13, Audience.MEMORY_NODE),
    /**
     * A scatter write, then a read, in one request (LegoOS's piggybacked flush and fetch): the body is a
     * {@code u32} run count and the runs; the header names the read. All or nothing, like WRITEV.
     */
    WRITEV_READ(0x14, Audience.MEMORY_NODE),
    /**
     * Client to memory node: this session knows slab {@code slabId} at epoch {@code offset}, so its writes there reach
     * every replica of that epoch. Needed after the replica set changed ({@link ErrorCode#STALE_MAP}).
     */
    SLAB_EPOCH(0x15, Audience.MEMORY_NODE),
    /**
     * Client to memory node: a grant ({@link io.remem.protocol.auth.Grant}) the controller issued this session's tenant
     * for another tenant's dataset; body {@code u16 n, n bytes}. The session may then read (or write) those slabs.
     */
    SLAB_GRANT(0x16, Audience.MEMORY_NODE),

    /** Controller to memory node: create a slab for a tenant. */
    SLAB_CREATE(0x20, Audience.MEMORY_NODE),
    /** Controller to memory node: delete a slab and release its memory. */
    SLAB_DELETE(0x21, Audience.MEMORY_NODE),
    /** Controller to memory node: the replica set of {@code slabId} changed; its epoch is now {@code offset}. */
    SLAB_FENCE(0x22, Audience.MEMORY_NODE),
    /**
     * Controller to memory node: create slab {@code slabId} as a new replica and copy it from another memory node
     * (re-replication, drain); the body is a {@link SlabSync}. Answered when the copy is complete.
     */
    SLAB_SYNC(0x23, Audience.MEMORY_NODE),
    /** Memory node to memory node: a READ of any tenant's slab, for a {@link #SLAB_SYNC} copy. */
    REPLICA_READ(0x24, Audience.MEMORY_NODE),

    /** Memory node to controller: join the cluster. */
    NODE_REGISTER(0x30, Audience.CONTROLLER),
    /** Memory node to controller: still alive, with capacity and usage. */
    NODE_HEARTBEAT(0x31, Audience.CONTROLLER),
    /**
     * Memory node to controller: its copy of slab {@code slabId} failed its checksums (a scrub or a recovery found it);
     * the body is a string saying where. The copy is quarantined: served to no one until the controller drops it.
     */
    SLAB_DAMAGED(0x32, Audience.CONTROLLER),

    /** Client to controller: the cluster's address layout and this tenant's quota. */
    CLUSTER_INFO(0x40, Audience.CONTROLLER),
    /** Client to controller: allocate a run of slabs. */
    SLAB_ALLOC(0x41, Audience.CONTROLLER),
    /** Client to controller: free a run of slabs. */
    SLAB_FREE(0x42, Audience.CONTROLLER),
    /** Client to controller: where the replicas of a slab are. */
    SLAB_LOOKUP(0x43, Audience.CONTROLLER),
    /**
     * Client or admin to controller, for {@code remem status}: an admin sees membership, usage, repair and every tenant;
     * a tenant sees only itself.
     */
    STATUS(0x44, Audience.CONTROLLER),
    /**
     * Client to controller: memory node {@code slabId} did not answer (a client timeout). The controller checks it
     * at once rather than waiting for the heartbeat timeout.
     */
    NODE_SUSPECT(0x45, Audience.CONTROLLER),
    /** Admin to controller: move every slab off memory node {@code slabId}, then stop placing slabs there. */
    NODE_DRAIN(0x46, Audience.CONTROLLER),
    /** Client to controller: a fresh session token, before the one from HELLO expires. */
    TOKEN_RENEW(0x47, Audience.CONTROLLER),
    /** Admin to controller: memory node {@code slabId} takes new slabs again; a drain in progress stops. */
    NODE_UNDRAIN(0x48, Audience.CONTROLLER),
    /**
     * Controller to client, on the client's own connection: memory node {@code slabId} was declared dead ({@code
     * offset} 0) or registered again ({@code offset} 1). A client stops using a dead node at once instead of waiting out
     * its requests to it.
     */
    NODE_STATE(0x49, Audience.CLIENT),
    /**
     * Client to controller: keep lease {@code slabId} (a random id the runtime chose) alive; {@code offset} 1 opens it,
     * 0 renews it. The answer's body is the lease's length in milliseconds ({@code u64}). A lease the controller does not
     * know (it expired, and its slabs were freed) gets {@link ErrorCode#LEASE_EXPIRED}.
     */
    LEASE_RENEW(0x4A, Audience.CONTROLLER),
    /** Client to controller: the runtime is closing; free every slab of lease {@code slabId} now. */
    LEASE_CLOSE(0x4B, Audience.CONTROLLER),
    /**
     * Client to controller: is lease {@code slabId} (of any tenant) alive? The answer's {@code u8} is 1 or 0. A far lock
     * held by a session whose lease has ended may be taken over ({@code FarLock}).
     */
    LEASE_ALIVE(0x4C, Audience.CONTROLLER),

    /**
     * Client to controller: open (or create) a named dataset ({@link DatasetOpen}); {@code slabId} is the runtime's
     * lease. The answer is the dataset and its slabs ({@link DatasetInfo#decodeOpened}).
     */
    DATASET_OPEN(0x70, Audience.CONTROLLER),
    /** Client to controller: lease {@code slabId} closes the dataset named in the body ({@code string owner, string name}). */
    DATASET_CLOSE(0x71, Audience.CONTROLLER),
    /** Client or admin to controller: delete a dataset and free its memory ({@link DatasetDelete}). */
    DATASET_DELETE(0x72, Audience.CONTROLLER),
    /** Client or admin to controller: the datasets a tenant owns, or an admin every dataset ({@link DatasetInfo}). */
    DATASET_LIST(0x73, Audience.CONTROLLER),
    /** Client to controller: the owner of a dataset grants or revokes another tenant's access ({@link DatasetGrantChange}). */
    DATASET_GRANT(0x74, Audience.CONTROLLER),
    /**
     * Client to controller: grow a dataset, or just learn its current size and slabs ({@link DatasetGrow}); the answer
     * is as DATASET_OPEN's.
     */
    DATASET_GROW(0x75, Audience.CONTROLLER),

    /**
     * Offload: scan-filter-aggregate (Clio-DF) over {@code length} elements at {@code offset} of {@code slabId}; the
     * body is an {@link AggregateRequest}, the response an {@link AggregateResult}.
     */
    OFFLOAD_AGGREGATE(0x50, Audience.MEMORY_NODE),
    /**
     * Offload: follow pointers from the node at {@code (slabId, offset)} for at most {@code length} hops, looking for
     * a key (Clio's pointer chasing); the body is a {@link ChaseRequest}, the response a {@link ChaseResult}.
     */
    OFFLOAD_CHASE(0x51, Audience.MEMORY_NODE),
    /**
     * Offload: a hash-map get on the {@link MapLayout} region at {@code (slabId, offset)}; {@code length} is the key's
     * size. The body is a {@link MapGetRequest}, the response a {@link MapGetResult}.
     */
    OFFLOAD_MAP_GET(0x52, Audience.MEMORY_NODE),

    /** Admin to controller: create a tenant with its first secret's verifier ({@link TenantAdd}). */
    TENANT_ADD(0x60, Audience.CONTROLLER),
    /** Admin to controller: remove a tenant ({@link TenantRemove}); with force, freeing every slab it holds. */
    TENANT_REMOVE(0x61, Audience.CONTROLLER),
    /** Admin to controller: set a tenant's quota ({@link TenantQuota}). */
    TENANT_QUOTA(0x62, Audience.CONTROLLER),
    /** Admin to controller: give a tenant one more secret, for rotation ({@link TenantKey}). */
    TENANT_KEY_ADD(0x63, Audience.CONTROLLER),
    /** Admin to controller: revoke one of a tenant's secrets by key id ({@link TenantKeyRevoke}). */
    TENANT_KEY_REVOKE(0x64, Audience.CONTROLLER);

    /** Which kind of server serves the opcode. */
    public enum Audience { ANY, MEMORY_NODE, CONTROLLER, CLIENT }

    private static final Opcode[] BY_CODE = new Opcode[256];

    static {
        for (Opcode op : values()) {
            BY_CODE[op.code] = op;
        }
    }

    private final int code;
    private final Audience audience;

    Opcode(int code, Audience audience) {
        this.code = code;
        this.audience = audience;
    }

    public int code() {
        return code;
    }

    public Audience audience() {
        return audience;
    }

    /** The opcode with this wire code, or {@code null} if there is none. */
    public static Opcode ofCode(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
