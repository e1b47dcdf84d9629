package io.remem.client;

/**
 * A commit to an MRMW dataset was refused because another runtime committed to the same stripes after this
 * acquisition read them (Hotpot's abort). Nothing of it was applied; acquire again, redo the change and commit.
 */
public final class CommitConflictException extends RuntimeException {
    public CommitConflictException(String message) {
        super(message);
    }
}
