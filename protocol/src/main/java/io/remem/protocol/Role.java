package io.remem.protocol;

/** Who is on the other end of a session, declared in HELLO. */
public enum Role {
    /** An application runtime acting for a tenant. */
    CLIENT(1),
    /** A memory node talking to the controller. */
    MEMORY_NODE(2),
    /** A memory node reading another's slab to make a new replica (SLAB_SYNC). */
    REPLICA(3),
    /** An operator: manages tenants, drains nodes, sees the whole cluster's status. */
    ADMIN(4);

    private final int code;

    Role(int code) {
        this.code = code;
    }

    public int code() {
        return code;
    }

    public static Role ofCode(int code) {
        for (Role r : values()) {
            if (r.code == code) {
                return r;
            }
        }
        throw RememException.malformed("unknown role " + code);
    }
}
