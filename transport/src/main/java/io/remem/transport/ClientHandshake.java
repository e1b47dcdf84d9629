package io.remem.transport;

import io.remem.protocol.AuthProof;
import io.remem.protocol.ErrorCode;
import io.remem.protocol.Hello;
import io.remem.protocol.HelloReply;
import io.remem.protocol.RememException;
import io.remem.protocol.Role;
import io.remem.protocol.Wire;
import io.remem.protocol.auth.Credentials;
import io.remem.protocol.auth.Scram;
import io.remem.protocol.auth.Transcript;

import java.security.SecureRandom;

/**
 * The client side of a handshake, the same for Netty connections ({@link Peer}) and direct ones ({@link DirectLink}).
 * With a secret it insists on a challenge and on the server's signature afterwards, so a server that does not hold the
 * secret's verifier (a fake controller) is refused; with a token it expects to be let in at once.
 */
public final class ClientHandshake {
    private static final SecureRandom RANDOM = new SecureRandom();

    /** How a connection sends the two handshake requests and reads their answers. */
    interface Exchange {
        HelloReply hello(Hello hello);

        HelloReply auth(AuthProof proof);
    }

    /** An open session: its id, the features granted, the grant (a session token) and the session's binding. */
    public record Session(int id, int features, String server, byte[] grant, byte[] binding) {}

    private ClientHandshake() {}

    static Session run(Exchange x, Role role, Credentials credentials, int supersedes, int features, String remote) {
        byte[] nonce = new byte[Hello.NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        return switch (credentials) {
            case Credentials.OfToken t -> {
                Hello hello = new Hello(Wire.VERSION, role, t.principal(), "", supersedes, features, nonce, t.current());
                HelloReply reply = x.hello(hello);
                if (!(reply instanceof HelloReply.Accepted a)) {
                    throw refused(remote, "asked a token holder for a secret");
                }
                checkVersion(a, remote);
                yield new Session(a.session(), a.features(), a.server(), a.grant(), new byte[0]);
            }
            case Credentials.OfSecret s -> {
                Hello hello = new Hello(Wire.VERSION, role, s.principal(), s.keyId(), supersedes, features, nonce, new byte[0]);
                HelloReply reply = x.hello(hello);
                if (!(reply instanceof HelloReply.Challenge c)) {
                    throw refused(remote, "accepted a secret without checking it");
                }
                try {
                    Scram.checkParameters(c.salt(), c.iterations());
                } catch (RememException e) {
                    throw refused(remote, e.detail());
                }
                byte[] salted = s.saltedPassword(c.salt(), c.iterations());
                byte[] authMessage = Transcript.authMessage(hello, c);
                HelloReply answer = x.auth(new AuthProof(Scram.clientProof(salted, authMessage)));
                if (!(answer instanceof HelloReply.Accepted a)) {
                    throw refused(remote, "challenged twice");
                }
                checkVersion(a, remote);
                if (!Scram.sameSignature(a.serverSignature(), Scram.expectedServerSignature(salted, authMessage))) {
                    throw refused(remote, "does not hold this secret's verifier: it is not the server it claims to be");
                }
                yield new Session(a.session(), a.features(), a.server(), a.grant(), Transcript.binding(authMessage));
            }
        };
    }

    private static void checkVersion(HelloReply.Accepted a, String remote) {
        if (a.version() != Wire.VERSION) {
            throw new RememException(ErrorCode.UNSUPPORTED_VERSION,
                    remote + " speaks protocol version " + a.version() + ", this side " + Wire.VERSION);
        }
    }

    private static RememException refused(String remote, String why) {
        return new RememException(ErrorCode.AUTHENTICATION_FAILED, "the server at " + remote + " " + why
                + "; refusing to talk to it");
    }
}
