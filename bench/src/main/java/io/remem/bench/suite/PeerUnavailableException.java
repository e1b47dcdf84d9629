package io.remem.bench.suite;

/** A peer that cannot run here (not installed, no permission, did not start); the suite reports it as skipped. */
public final class PeerUnavailableException extends Exception {
    public PeerUnavailableException(String reason) {
        super(reason);
    }

    public PeerUnavailableException(String reason, Throwable cause) {
        super(reason, cause);
    }
}
