package io.remem.protocol.auth;

import io.remem.protocol.ErrorCode;
import io.remem.protocol.Hello;
import io.remem.protocol.HelloReply;
import io.remem.protocol.RememException;
import io.remem.protocol.Role;
import org.junit.jupiter.api.Test;

import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The SCRAM key schedule: RFC 7677's test vector, proofs that verify and proofs that must not. */
class ScramTest {
    private static final SecureRandom RANDOM = new SecureRandom();

    /** The salted password is PBKDF2-HMAC-SHA-256 of the secret's text, as the JDK computes it directly. */
    @Test
    void saltedPasswordMatchesPbkdf2OfTheSecretText() throws Exception {
        Secret s = Secret.generate(RANDOM);
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        byte[] viaScram = Scram.saltedPassword(s, salt, 4096);
        PBEKeySpec spec = new PBEKeySpec(s.reveal(), salt, 4096, 256);
        byte[] viaJdk = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
        assertThat(viaScram).isEqualTo(viaJdk);
    }

    /**
     * RFC 7677 section 3's exchange (user "user", password "pencil", 4096 iterations): its SaltedPassword and
     * AuthMessage give exactly its ClientProof and ServerSignature.
     */
    @Test
    void rfc7677ClientProofAndServerSignature() {
        byte[] salted = HexFormat.of().parseHex("c4a49510323ab4f952cac1fa99441939e78ea74d6be81ddf7096e87513dc615d");
        byte[] authMessage = ("n=user,r=rOprNGfwEbeRWgbNEkqO,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                + "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0")
                .getBytes(StandardCharsets.US_ASCII);
        assertThat(Base64.getEncoder().encodeToString(Scram.clientProof(salted, authMessage)))
                .isEqualTo("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
        assertThat(Base64.getEncoder().encodeToString(Scram.expectedServerSignature(salted, authMessage)))
                .isEqualTo("6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
    }

    @Test
    void aProofOfTheRightSecretVerifiesAndTheServerSignatureMatches() {
        Secret s = Secret.generate(RANDOM);
        Scram.Verifier v = Scram.Verifier.of(s, RANDOM, Scram.MIN_ITERATIONS);
        byte[] auth = Transcript.authMessage(hello(s.keyId()), challenge(v));
        byte[] salted = Scram.saltedPassword(s, v.salt(), v.iterations());
        assertThat(Scram.verify(v, auth, Scram.clientProof(salted, auth))).isTrue();
        assertThat(Scram.sameSignature(Scram.serverSignature(v, auth), Scram.expectedServerSignature(salted, auth))).isTrue();
    }

    @Test
    void aProofOfAnotherSecretOrForAnotherTranscriptDoesNotVerify() {
        Secret s = Secret.generate(RANDOM);
        Scram.Verifier v = Scram.Verifier.of(s, RANDOM, Scram.MIN_ITERATIONS);
        byte[] auth = Transcript.authMessage(hello(s.keyId()), challenge(v));
        Secret other = Secret.generate(RANDOM);
        byte[] wrong = Scram.clientProof(Scram.saltedPassword(other, v.salt(), v.iterations()), auth);
        assertThat(Scram.verify(v, auth, wrong)).isFalse();
        byte[] replayed = Scram.clientProof(Scram.saltedPassword(s, v.salt(), v.iterations()), auth);
        byte[] otherAuth = Transcript.authMessage(hello(s.keyId()), challenge(v)); // a fresh server nonce
        assertThat(Scram.verify(v, otherAuth, replayed)).isFalse();
        assertThat(Scram.verify(v, auth, new byte[5])).isFalse();
    }

    @Test
    void aDecoyVerifierIsStableForANameAndAcceptsNoProof() {
        byte[] key = new byte[32];
        Scram.Verifier a = Scram.Verifier.decoy(key, "nobody", "k12345678");
        Scram.Verifier b = Scram.Verifier.decoy(key, "nobody", "k12345678");
        assertThat(a.salt()).isEqualTo(b.salt());
        assertThat(Scram.Verifier.decoy(key, "someone", "k12345678").salt()).isNotEqualTo(a.salt());
        byte[] auth = Transcript.authMessage(hello("k12345678"), challenge(a));
        Secret guess = Secret.generate(RANDOM);
        assertThat(Scram.verify(a, auth, Scram.clientProof(Scram.saltedPassword(guess, a.salt(), a.iterations()), auth)))
                .isFalse();
    }

    @Test
    void challengeParametersOutsideTheirBoundsAreRefused() {
        Secret s = Secret.generate(RANDOM);
        assertThatThrownBy(() -> Scram.saltedPassword(s, new byte[16], Scram.MIN_ITERATIONS - 1))
                .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        assertThatThrownBy(() -> Scram.saltedPassword(s, new byte[16], Scram.MAX_ITERATIONS + 1))
                .isInstanceOf(RememException.class);
        assertThatThrownBy(() -> Scram.saltedPassword(s, new byte[8], Scram.MIN_ITERATIONS)).isInstanceOf(RememException.class);
    }

    @Test
    void aVerifierNeverPrintsItsKeys() {
        Scram.Verifier v = Scram.Verifier.of(Secret.generate(RANDOM), RANDOM, Scram.MIN_ITERATIONS);
        assertThat(v.toString()).doesNotContain(HexFormat.of().formatHex(v.storedKey()));
    }

    private static Hello hello(String keyId) {
        byte[] nonce = new byte[Hello.NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        return new Hello(3, Role.CLIENT, "acme", keyId, 0, 0, nonce, new byte[0]);
    }

    private static HelloReply.Challenge challenge(Scram.Verifier v) {
        byte[] nonce = new byte[Hello.NONCE_BYTES];
        RANDOM.nextBytes(nonce);
        return new HelloReply.Challenge(nonce, v.salt(), v.iterations());
    }
}
