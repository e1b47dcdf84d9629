package io.remem.protocol;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.function.Function;

import static io.remem.protocol.FuzzSupport.byteAt;
import static io.remem.protocol.FuzzSupport.rest;

/**
 * Every request and response body decoder of the control plane (slabs, nodes, cluster, tenants). Input: {@code u8
 * decoder} (an index into {@link #DECODERS}, modulo its size), then the body. Each decoder must return a value that
 * re-encodes to exactly the bytes it read, or refuse with {@link RememException}. Seeds:
 * {@code BodiesFuzzTestInputs/body/}, named after the decoder.
 */
class BodiesFuzzTest {
    /**
     * One decoder under test. {@code wholeBody}: the decoder reads a whole frame body and refuses trailing bytes;
     * otherwise it reads one part of a body (a replica, a slab) and leaves the rest.
     */
    record Decoder<T>(String name, Function<ByteBuf, T> decode, BiConsumer<T, ByteBuf> encode, boolean wholeBody,
                      BiFunction<T, byte[], byte[]> knownBug) {
        Decoder(String name, Function<ByteBuf, T> decode, BiConsumer<T, ByteBuf> encode, boolean wholeBody) {
            this(name, decode, encode, wholeBody, null);
        }

        void check(byte[] body) {
            FuzzSupport.roundTrip(name, body, decode, encode, wholeBody, knownBug);
        }
    }

    /** The order is part of the seeds' format: append, never reorder. */
    static final List<Decoder<?>> DECODERS = List.of(
            new Decoder<>("slabAlloc", SlabAlloc::decode, SlabAlloc::encode, true),
            new Decoder<>("slabCreate", SlabCreate::decode, SlabCreate::encode, true),
            new Decoder<>("slabSync", SlabSync::decode, SlabSync::encode, true),
            new Decoder<>("nodeRegister", NodeRegister::decode, NodeRegister::encode, true),
            new Decoder<>("nodeRegistered", NodeRegistered::decode, NodeRegistered::encode, true),
            new Decoder<>("nodeHeartbeat", NodeHeartbeat::decode, NodeHeartbeat::encode, true),
            new Decoder<>("clusterInfo", ClusterInfo::decode, ClusterInfo::encode, true),
            new Decoder<>("clusterStatus", ClusterStatus::decode, ClusterStatus::encode, true,
                    BodiesFuzzTest::clusterStatusBooleans),
            new Decoder<>("slabRun", SlabRun::decode, SlabRun::encode, true),
            new Decoder<>("slabDescriptor", SlabDescriptor::decode, SlabDescriptor::encode, false),
            new Decoder<>("replica", Replica::decode, Replica::encode, false),
            new Decoder<>("tenantAdd", TenantAdd::decode, TenantAdd::encode, true),
            new Decoder<>("tenantKey", TenantKey::decode, TenantKey::encode, true),
            new Decoder<>("tenantRemove", TenantRemove::decode, TenantRemove::encode, true),
            new Decoder<>("tenantQuota", TenantQuota::decode, TenantQuota::encode, true),
            new Decoder<>("tenantKeyRevoke", TenantKeyRevoke::decode, TenantKeyRevoke::encode, true),
            new Decoder<>("slabDamaged", SlabDamaged::decode, SlabDamaged::encode, true));

    /**
     * Known finding (see {@code KnownFuzzFindingsTest}): {@link ClusterStatus#decode} reads {@code node.alive} and
     * {@code node.draining} as "non-zero" where every other boolean of the protocol must be 0 or 1, so 2..255 decode
     * (as true) and re-encode as 1. Returns {@code input} with exactly those two bytes of each node read as the decoder
     * reads them, so that everything else is still held to an exact re-encoding.
     */
    static byte[] clusterStatusBooleans(ClusterStatus status, byte[] input) {
        int at = 1 + 4; // u8 slabShift, u32 nodeCount
        for (ClusterStatus.Node n : status.nodes()) {
            at += 8 + 2 + n.host().getBytes(StandardCharsets.UTF_8).length + 2; // id, host, port
            normalizeBoolean(input, at);
            at += 1 + 8 + 8 + 8 + 4 + 8; // alive, capacity, backed, reserved, slabs, millisSinceHeartbeat
            normalizeBoolean(input, at);
            at += 1;
        }
        return input;
    }

    private static void normalizeBoolean(byte[] input, int at) {
        if (at < input.length && input[at] != 0) {
            input[at] = 1;
        }
    }

    static int index(String name) {
        for (int i = 0; i < DECODERS.size(); i++) {
            if (DECODERS.get(i).name().equals(name)) {
                return i;
            }
        }
        throw new IllegalArgumentException(name);
    }

    @FuzzTest(maxDuration = "10s")
    void body(byte[] data) {
        DECODERS.get(byteAt(data, 0) % DECODERS.size()).check(rest(data, 1));
    }
}
