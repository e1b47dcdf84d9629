package io.remem.protocol;

import com.code_intelligence.jazzer.junit.FuzzTest;

import static io.remem.protocol.FuzzSupport.byteAt;
import static io.remem.protocol.FuzzSupport.rest;

/**
 * The handshake bodies, the only ones a server reads before a peer has proven anything: {@link Hello},
 * {@link HelloReply} and {@link AuthProof}. Input: {@code u8 decoder} (modulo 3, in that order), then the body. Seeds:
 * {@code HelloFuzzTestInputs/handshake/}.
 */
class HelloFuzzTest {
    @FuzzTest(maxDuration = "10s")
    void handshake(byte[] data) {
        byte[] body = rest(data, 1);
        switch (byteAt(data, 0) % 3) {
            case 0 -> FuzzSupport.roundTrip("hello", body, Hello::decode, Hello::encode, true);
            case 1 -> FuzzSupport.roundTrip("helloReply", body, HelloReply::decode, HelloReply::encode, true);
            default -> FuzzSupport.roundTrip("auth", body, AuthProof::decode, AuthProof::encode, true);
        }
    }
}
