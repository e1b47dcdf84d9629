package io.remem.protocol;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;

import java.util.List;
import java.util.function.BiConsumer;
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
    record Decoder<T>(String name, Function<ByteBuf, T> decode, BiConsumer<T, ByteBuf> encode, boolean wholeBody) {
        void check(byte[] body) {
            FuzzSupport.roundTrip(name, body, decode, encode, wholeBody);
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
            new Decoder<>("clusterStatus", ClusterStatus::decode, ClusterStatus::encode, true),
            new Decoder<>("slabRun", SlabRun::decode, SlabRun::encode, true),
            new Decoder<>("slabDescriptor", SlabDescriptor::decode, SlabDescriptor::encode, false),
            new Decoder<>("replica", Replica::decode, Replica::encode, false),
            new Decoder<>("tenantAdd", TenantAdd::decode, TenantAdd::encode, true),
            new Decoder<>("tenantKey", TenantKey::decode, TenantKey::encode, true),
            new Decoder<>("tenantRemove", TenantRemove::decode, TenantRemove::encode, true),
            new Decoder<>("tenantQuota", TenantQuota::decode, TenantQuota::encode, true),
            new Decoder<>("tenantKeyRevoke", TenantKeyRevoke::decode, TenantKeyRevoke::encode, true),
            new Decoder<>("slabDamaged", SlabDamaged::decode, SlabDamaged::encode, true),
            new Decoder<>("datasetOpen", DatasetOpen::decode, DatasetOpen::encode, true),
            new Decoder<>("datasetInfo", DatasetInfo::decode, DatasetInfo::encode, false),
            new Decoder<>("datasetList", DatasetInfo::decodeList, DatasetInfo::encodeList, true),
            new Decoder<>("datasetOpened", DatasetInfo::decodeOpened, DatasetInfo::encodeOpened, true),
            new Decoder<>("datasetDelete", DatasetDelete::decode, DatasetDelete::encode, true),
            new Decoder<>("datasetGrant", DatasetGrantChange::decode, DatasetGrantChange::encode, true),
            new Decoder<>("datasetGrow", DatasetGrow::decode, DatasetGrow::encode, true));

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
