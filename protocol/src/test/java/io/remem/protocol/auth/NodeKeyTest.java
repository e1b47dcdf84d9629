package io.remem.protocol.auth;

import org.junit.jupiter.api.Test;

import java.security.KeyPair;

import static org.assertj.core.api.Assertions.assertThat;

class NodeKeyTest {
    @Test
    void aSignatureVerifiesOnlyForItsBindingIdAndKey() {
        KeyPair pair = NodeKey.generate();
        byte[] pub = NodeKey.encodePublic(pair);
        byte[] binding = new byte[32];
        byte[] sig = NodeKey.sign(pair, binding, 7);
        assertThat(NodeKey.verify(pub, sig, binding, 7)).isTrue();
        assertThat(NodeKey.verify(pub, sig, binding, 8)).as("another node id").isFalse();
        byte[] other = binding.clone();
        other[0] = 1;
        assertThat(NodeKey.verify(pub, sig, other, 7)).as("another session").isFalse();
        assertThat(NodeKey.verify(NodeKey.encodePublic(NodeKey.generate()), sig, binding, 7)).as("another key").isFalse();
    }

    @Test
    void malformedKeysAndSignaturesAreFalseNotExceptions() {
        assertThat(NodeKey.verify(new byte[3], new byte[3], new byte[32], 1)).isFalse();
        assertThat(NodeKey.verify(new byte[200], new byte[64], new byte[32], 1)).isFalse();
    }

    @Test
    void aKeyPairSurvivesItsStorageForm() {
        KeyPair pair = NodeKey.generate();
        KeyPair back = NodeKey.decode(NodeKey.encodePublic(pair), NodeKey.encodePrivate(pair));
        byte[] sig = NodeKey.sign(back, new byte[32], 3);
        assertThat(NodeKey.verify(NodeKey.encodePublic(pair), sig, new byte[32], 3)).isTrue();
    }
}
