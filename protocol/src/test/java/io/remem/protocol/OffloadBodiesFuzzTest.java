package io.remem.protocol;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.netty.buffer.ByteBuf;

import static io.remem.protocol.FuzzSupport.byteAt;
import static io.remem.protocol.FuzzSupport.fail;
import static io.remem.protocol.FuzzSupport.intAt;
import static io.remem.protocol.FuzzSupport.rest;

/**
 * The near-memory offload bodies: the requests a memory node decodes ({@link AggregateRequest}, {@link ChaseRequest},
 * {@link MapGetRequest}) and the results a client decodes ({@link AggregateResult}, {@link ChaseResult},
 * {@link MapGetResult}). Input: {@code u8 decoder} (modulo 6, in that order), then for
 * <ul>
 *   <li>MapGetRequest: {@code u32 keyLength} (the header's length field, any int), then the body;</li>
 *   <li>AggregateResult: {@code u32 blockPhase, u32 elements} of the request it answers (as the client computes them:
 *       taken modulo {@link AggregateRequest#BLOCK_ELEMENTS} and {@code MAX_ELEMENTS + 1}), then the body;</li>
 *   <li>the others: the body.</li>
 * </ul>
 * Seeds: {@code OffloadBodiesFuzzTestInputs/offloadBody/}.
 */
class OffloadBodiesFuzzTest {
    static final int AGGREGATE = 0;
    static final int CHASE = 1;
    static final int MAP_GET = 2;
    static final int AGGREGATE_RESULT = 3;
    static final int CHASE_RESULT = 4;
    static final int MAP_GET_RESULT = 5;

    @FuzzTest(maxDuration = "10s")
    void offloadBody(byte[] data) {
        switch (byteAt(data, 0) % 6) {
            case AGGREGATE -> FuzzSupport.roundTrip("aggregate", rest(data, 1), AggregateRequest::decode,
                    AggregateRequest::encode, true);
            case CHASE -> FuzzSupport.roundTrip("chase", rest(data, 1), ChaseRequest::decode, ChaseRequest::encode, true);
            case MAP_GET -> mapGet(intAt(data, 1), rest(data, 5));
            case AGGREGATE_RESULT -> {
                int phase = Math.floorMod(intAt(data, 1), AggregateRequest.BLOCK_ELEMENTS);
                int elements = Math.floorMod(intAt(data, 5), AggregateRequest.MAX_ELEMENTS + 1);
                FuzzSupport.Outcome<AggregateResult> o = FuzzSupport.roundTrip("aggregateResult", rest(data, 9),
                        b -> AggregateResult.decode(b, phase, elements), AggregateResult::encode, true);
                if (o.accepted() && (o.value().count() > elements
                        || o.value().blockSums().length != AggregateRequest.blocks(phase, elements))) {
                    throw fail("aggregateResult", data, "accepted " + o.value().count() + " matches and "
                            + o.value().blockSums().length + " sums for " + elements + " elements at phase " + phase);
                }
            }
            case CHASE_RESULT -> {
                FuzzSupport.Outcome<ChaseResult> o = FuzzSupport.roundTrip("chaseResult", rest(data, 1),
                        ChaseResult::decode, ChaseResult::encode, true);
                if (o.accepted() && (o.value().hops() < 0 || o.value().hops() > ChaseRequest.MAX_HOPS
                        || o.value().node().length > ChaseRequest.MAX_NODE_BYTES)) {
                    throw fail("chaseResult", data, "accepted " + o.value());
                }
            }
            default -> FuzzSupport.roundTrip("mapGetResult", rest(data, 1), MapGetResult::decode,
                    OffloadBodiesFuzzTest::encodeMapGetResult, true);
        }
    }

    private static void mapGet(int keyLength, byte[] body) {
        FuzzSupport.Outcome<MapGetRequest> o = FuzzSupport.decode("mapGet", body, b -> MapGetRequest.decode(b, keyLength));
        if (!o.accepted()) {
            return;
        }
        MapGetRequest r = o.value();
        if (o.consumed() != MapGetRequest.HEADER_BYTES || body.length - o.consumed() != keyLength) {
            throw fail("mapGet", body, "read " + o.consumed() + " bytes and left " + (body.length - o.consumed())
                    + " for a key of " + keyLength);
        }
        if (Integer.bitCount(r.capacity()) != 1 || r.capacity() > MapLayout.MAX_CAPACITY
                || r.slabShift() < Limits.MIN_SLAB_SHIFT || r.slabShift() > Limits.MAX_SLAB_SHIFT) {
            throw fail("mapGet", body, "accepted " + r);
        }
        // The key is the rest of the body, which decode leaves for the caller to read in place.
        FuzzSupport.roundTrip("mapGet", body, b -> {
            MapGetRequest again = MapGetRequest.decode(b, keyLength);
            b.skipBytes(keyLength);
            return again;
        }, (v, out) -> v.encode(out, body, MapGetRequest.HEADER_BYTES, keyLength), true);
    }

    /** MapGetResult has no encoder: its documented layout, {@code u8 outcome, u64 address, u32 n, n bytes value}. */
    private static void encodeMapGetResult(MapGetResult r, ByteBuf out) {
        out.writeByte(r.outcome().ordinal());
        out.writeLong(r.address());
        out.writeInt(r.value().length);
        out.writeBytes(r.value());
    }
}
