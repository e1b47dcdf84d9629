package io.remem.protocol;

import io.netty.buffer.ByteBuf;

/**
 * Body of a HELLO or AUTH response: {@code u8 step}, then either an acceptance or a challenge.
 * <ul>
 *   <li>{@link Accepted} (step 0): the session is open. {@code serverSignature} proves the server holds the verifier of
 *       the secret the client proved (empty when a token was presented instead); {@code grant} is what the server
 *       hands the new session: a tenant session token from the controller, else empty.</li>
 *   <li>{@link Challenge} (step 1): prove your secret. The client answers with AUTH ({@link AuthProof}).</li>
 * </ul>
 */
public sealed interface HelloReply {
    int ACCEPTED = 0;
    int CHALLENGE = 1;
    int MAX_SIGNATURE_BYTES = 64;
    int MAX_GRANT_BYTES = 512;

    void encode(ByteBuf out);

    /** The session is open. */
    record Accepted(int version, int session, String server, int features, byte[] serverSignature, byte[] grant)
            implements HelloReply {
        public Accepted {
            serverSignature = serverSignature.clone();
            grant = grant.clone();
        }

        @Override
        public void encode(ByteBuf out) {
            out.writeByte(ACCEPTED);
            out.writeShort(version);
            out.writeInt(session);
            Bodies.writeString(out, server);
            out.writeInt(features);
            Bodies.writeBytes(out, serverSignature);
            Bodies.writeBytes(out, grant);
        }

        @Override
        public String toString() {
            return "Accepted[v" + version + " session " + session + " by " + server + " features " + features
                    + (grant.length > 0 ? " with a grant" : "") + "]";
        }
    }

    /** Prove the secret named in HELLO: SCRAM's server-first message. */
    record Challenge(byte[] nonce, byte[] salt, int iterations) implements HelloReply {
        public Challenge {
            if (nonce.length != Hello.NONCE_BYTES) {
                throw RememException.malformed("challenge.nonce: " + nonce.length + " bytes, not " + Hello.NONCE_BYTES);
            }
            nonce = nonce.clone();
            salt = salt.clone();
        }

        @Override
        public void encode(ByteBuf out) {
            out.writeByte(CHALLENGE);
            out.writeBytes(nonce);
            Bodies.writeBytes(out, salt);
            out.writeInt(iterations);
        }

        @Override
        public String toString() {
            return "Challenge[" + salt.length + "-byte salt, " + iterations + " iterations]";
        }
    }

    /** Reads a HELLO or AUTH response body. */
    static HelloReply decode(ByteBuf body) {
        int step = Bodies.readUnsignedByte(body, "helloReply.step");
        HelloReply r = switch (step) {
            case ACCEPTED -> new Accepted(
                    Bodies.readUnsignedShort(body, "accepted.version"),
                    Bodies.readInt(body, "accepted.session"),
                    Bodies.readString(body, "accepted.server"),
                    Bodies.readInt(body, "accepted.features"),
                    Bodies.readBytes(body, MAX_SIGNATURE_BYTES, "accepted.serverSignature"),
                    Bodies.readBytes(body, MAX_GRANT_BYTES, "accepted.grant"));
            case CHALLENGE -> new Challenge(
                    Bodies.readFixed(body, Hello.NONCE_BYTES, "challenge.nonce"),
                    Bodies.readBytes(body, 64, "challenge.salt"),
                    Bodies.readInt(body, "challenge.iterations"));
            default -> throw RememException.malformed("helloReply.step: " + step);
        };
        Bodies.expectEnd(body, "helloReply");
        return r;
    }
}
