package io.remem.transport;

import io.remem.protocol.auth.Scram;

import java.util.concurrent.CompletableFuture;

/**
 * What a server's {@link RequestHandler#onHello} decides about a HELLO. To refuse, it throws instead, an
 * {@link io.remem.protocol.auth.AuthenticationFailure} for anything that is about identity.
 */
public sealed interface HelloDecision {
    /**
     * Open the session now. {@code attachment} is what the handler keeps for it ({@link Peer#attachment()}); {@code
     * grant} goes back to the client in the acceptance (a session token), usually empty.
     */
    record Accept(Object attachment, byte[] grant) implements HelloDecision {
        public Accept(Object attachment) {
            this(attachment, new byte[0]);
        }
    }

    /** Open the session when {@code attachment} completes (after fencing an older session, say). */
    record AcceptLater(CompletableFuture<?> attachment) implements HelloDecision {}

    /**
     * The sender must prove the secret behind {@code verifier} first (challenge-response). For a name that does not
     * exist, pass a {@link Scram.Verifier#decoy} verifier: the HELLO is answered exactly like one that does, and only
     * the proof fails. {@code onProof} runs once the proof is good and decides what the session gets.
     */
    record Challenge(Scram.Verifier verifier, ProofAccepted onProof) implements HelloDecision {}

    /** What to do once a proof is good. */
    @FunctionalInterface
    interface ProofAccepted {
        /**
         * @param binding a value unique to this session and known only to its two ends ({@link
         *                io.remem.protocol.auth.Transcript#binding})
         */
        Accept accept(Peer peer, byte[] binding);
    }
}
