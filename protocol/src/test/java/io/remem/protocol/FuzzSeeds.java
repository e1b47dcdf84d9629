package io.remem.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.remem.protocol.auth.Token;
import io.remem.protocol.auth.TokenFuzzTest;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.zip.CRC32C;

/**
 * The seed inputs of the {@code *FuzzTest} classes: real messages, made by the records' own encoders, in the layout each
 * fuzz test reads (a selector byte and parameters, then the body). They live in {@code src/test/resources}, where
 * Jazzer finds them; {@link FuzzSeedsTest} checks the files still equal what this class makes, so a change of the wire
 * format shows up there. To rewrite them after such a change (from the repository root):
 *
 * <pre>
 *   ./mvnw -B test -pl protocol -Dtest=FuzzSeedsTest -Dfuzz.seeds.write=src/test/resources
 * </pre>
 */
public final class FuzzSeeds {
    private FuzzSeeds() {}

    /** A seed: where it lives under the resources root, and its bytes. */
    public record Seed(String path, byte[] bytes) {}

    private static final String PKG = "io/remem/protocol/";

    public static List<Seed> all() {
        List<Seed> seeds = new ArrayList<>();
        frameHeaders(seeds);
        handshakes(seeds);
        writeRuns(seeds);
        bodies(seeds);
        offloadBodies(seeds);
        tokens(seeds);
        return seeds;
    }

    private static byte[] bytes(Consumer<ByteBuf> encoder) {
        ByteBuf out = Unpooled.buffer();
        encoder.accept(out);
        return ByteBufUtil.getBytes(out);
    }

    /** {@code prefix} bytes (selector, parameters), then the body. */
    private static byte[] with(byte[] prefix, Consumer<ByteBuf> body) {
        return bytes(out -> {
            out.writeBytes(prefix);
            body.accept(out);
        });
    }

    private static byte[] selector(int index) {
        return new byte[] {(byte) index};
    }

    private static void frameHeaders(List<Seed> seeds) {
        String dir = PKG + "FrameHeaderFuzzTestInputs/header/";
        seeds.add(new Seed(dir + "read-request", headerOnly(out ->
                Frames.beginRequest(out, Opcode.READ, 42, 7, 3, 4096, 65536))));
        seeds.add(new Seed(dir + "writev-retry", headerOnly(out -> {
            ByteBuffer b = ByteBuffer.allocate(Wire.FRAME_OVERHEAD);
            Frames.writeRequestHeader(b, Opcode.WRITEV, Wire.FLAG_RETRY, 43, 7, 0, 0, 2, 100);
            out.writeBytes(b.array());
        })));
        seeds.add(new Seed(dir + "read-response", headerOnly(out ->
                Frames.beginResponse(out, Opcode.READ.code(), 42, 7, 3, 4096, 65536))));
        seeds.add(new Seed(dir + "error-response", bytes(out -> {
            Frames.writeError(out, Opcode.SLAB_ALLOC.code(), 44, 7, ErrorCode.QUOTA_EXCEEDED, "over quota");
            out.skipBytes(Wire.LENGTH_FIELD_BYTES);
        })));
    }

    /** The frame written by {@code writer}, without its length prefix. */
    private static byte[] headerOnly(Consumer<ByteBuf> writer) {
        return bytes(out -> {
            writer.accept(out);
            out.skipBytes(Wire.LENGTH_FIELD_BYTES);
        });
    }

    private static void handshakes(List<Seed> seeds) {
        String dir = PKG + "HelloFuzzTestInputs/handshake/";
        byte[] nonce = new byte[Hello.NONCE_BYTES];
        for (int i = 0; i < nonce.length; i++) {
            nonce[i] = (byte) (i * 7 + 1);
        }
        byte[] token = TokenFuzzTest.KEYS.mint(Token.session("orders", TokenFuzzTest.NOW, TokenFuzzTest.NOW + 60_000, 7));
        seeds.add(new Seed(dir + "hello-client-token", with(selector(0), out ->
                new Hello(Wire.VERSION, Role.CLIENT, "orders", "", 0, Features.CHECKSUMS, nonce, token).encode(out))));
        seeds.add(new Seed(dir + "hello-admin-secret", with(selector(0), out ->
                new Hello(Wire.VERSION, Role.ADMIN, "admin", "k0123abcd", 17, 0, nonce, new byte[0]).encode(out))));
        seeds.add(new Seed(dir + "reply-accepted", with(selector(1), out ->
                new HelloReply.Accepted(Wire.VERSION, 9, "memnode-1", Features.CHECKSUMS, new byte[32], token).encode(out))));
        seeds.add(new Seed(dir + "reply-challenge", with(selector(1), out ->
                new HelloReply.Challenge(nonce, new byte[16], 4096).encode(out))));
        seeds.add(new Seed(dir + "auth-proof", with(selector(2), out -> new AuthProof(new byte[32]).encode(out))));
    }

    private static void writeRuns(List<Seed> seeds) {
        String dir = PKG + "WriteRunsFuzzTestInputs/writeRuns/";
        byte[] a = "hello, far memory".getBytes(StandardCharsets.UTF_8);
        byte[] b = new byte[40];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) (255 - i);
        }
        seeds.add(new Seed(dir + "two-runs", runs(0, a, b)));
        seeds.add(new Seed(dir + "two-runs-checksums", runs(1, a, b)));
        seeds.add(new Seed(dir + "two-runs-checksums-composite", runs(3 | 30 << 2, a, b)));
        seeds.add(new Seed(dir + "no-runs", runs(0)));
    }

    private static byte[] runs(int flags, byte[]... runs) {
        CRC32C crc = new CRC32C();
        return bytes(out -> {
            out.writeByte(flags);
            out.writeInt(runs.length);
            long offset = 0;
            for (byte[] data : runs) {
                if ((flags & 1) != 0) {
                    crc.reset();
                    crc.update(data);
                    WriteRunReader.writeRunHeader(out, 5, offset, data.length, (int) crc.getValue());
                } else {
                    WriteRunReader.writeRunHeader(out, 5, offset, data.length);
                }
                out.writeBytes(data);
                offset += 4096;
            }
        });
    }

    private static void bodies(List<Seed> seeds) {
        String dir = PKG + "BodiesFuzzTestInputs/body/";
        Replica r1 = new Replica(1, "memnode-1.example", 7401);
        Replica r2 = new Replica(2, "10.0.0.2", 7402);
        SlabDescriptor s1 = new SlabDescriptor(10, 1 << 26, 3, 1, List.of(r1, r2));
        SlabDescriptor s2 = new SlabDescriptor(11, 1 << 26, List.of(r2));
        TenantKey key = new TenantKey("orders", "k0123abcd", new byte[16], 4096, new byte[32], new byte[32]);
        body(seeds, dir, "slabAlloc", new SlabAlloc(3L << 26, 2)::encode);
        body(seeds, dir, "slabCreate", new SlabCreate(1 << 26, "orders")::encode);
        body(seeds, dir, "slabSync", new SlabSync(1 << 26, "orders", 4, r1, new byte[100])::encode);
        body(seeds, dir, "nodeRegister", new NodeRegister(3, "memnode-3", 7403, 1L << 34, new byte[32], new byte[64],
                List.of(new NodeRegister.HeldSlab(10, 3), new NodeRegister.HeldSlab(12, 0, NodeRegister.DAMAGED)))::encode);
        body(seeds, dir, "nodeRegistered", new NodeRegistered(3, 1000, List.of(10L, 11L),
                List.of(new NodeRegistered.Restore(12, "orders", 1 << 26, 5)))::encode);
        body(seeds, dir, "nodeHeartbeat", new NodeHeartbeat(1L << 34, 1L << 30, 1L << 31, 17)::encode);
        body(seeds, dir, "clusterInfo", new ClusterInfo(26, 1L << 40, 1L << 30, 2, 3)::encode);
        body(seeds, dir, "clusterStatus", new ClusterStatus(26,
                List.of(new ClusterStatus.Node(1, "memnode-1", 7401, true, 1L << 34, 1L << 30, 1L << 31, 4, 120, false),
                        new ClusterStatus.Node(2, "memnode-2", 7402, false, 1L << 34, 0, 0, 0, 9000, true)),
                List.of(new ClusterStatus.Tenant("orders", 1L << 40, 1L << 30, 4, List.of("k0123abcd", "k89abcdef"))),
                new ClusterStatus.Repair(1, 0, 1, 1 << 20, 1 << 26, 7, 1),
                List.of(new ClusterStatus.Lease("orders", 0x5eed_1ea5e_0001L, 4, 1L << 28, 14_000)))::encode);
        body(seeds, dir, "slabRun", new SlabRun(List.of(s1, s2))::encode);
        body(seeds, dir, "slabDescriptor", s1::encode);
        body(seeds, dir, "replica", r1::encode);
        body(seeds, dir, "tenantAdd", new TenantAdd(TenantAdd.DEFAULT_QUOTA, key)::encode);
        body(seeds, dir, "tenantKey", key::encode);
        body(seeds, dir, "tenantRemove", new TenantRemove("orders", true)::encode);
        body(seeds, dir, "tenantQuota", new TenantQuota("orders", 1L << 40)::encode);
        body(seeds, dir, "tenantKeyRevoke", new TenantKeyRevoke("orders", "k0123abcd")::encode);
        body(seeds, dir, "slabDamaged", new SlabDamaged(true, "checksum mismatch at offset 4096")::encode);
        body(seeds, dir, "datasetOpen", new DatasetOpen("", "users", DatasetOpen.Disposition.OPEN_OR_CREATE, 1L << 30, 2,
                DatasetMode.MRSW, false)::encode);
        body(seeds, dir, "datasetGrow", new DatasetGrow("orders", "users", 3L << 30)::encode);
        DatasetInfo users = new DatasetInfo("orders", "users", 1L << 30, 2, DatasetMode.MRMW, 3,
                Map.of("billing", DatasetAccess.READ, "support", DatasetAccess.READ_WRITE));
        body(seeds, dir, "datasetInfo", users::encode);
        body(seeds, dir, "datasetList", out -> DatasetInfo.encodeList(List.of(users,
                new DatasetInfo("orders", "sessions.v2", 64L << 20, 1, DatasetMode.NONE, 0)), out));
        body(seeds, dir, "datasetOpened", out -> DatasetInfo.encodeOpened(new DatasetInfo.Opened(users,
                DatasetAccess.READ, new byte[] {2, 0, 9}, new SlabRun(List.of(s1, s2))), out));
        body(seeds, dir, "datasetDelete", new DatasetDelete("orders", "users", false)::encode);
        body(seeds, dir, "datasetGrant", new DatasetGrantChange("users", "billing", DatasetAccess.READ)::encode);
    }

    private static void body(List<Seed> seeds, String dir, String decoder, Consumer<ByteBuf> encoder) {
        seeds.add(new Seed(dir + decoder, with(selector(BodiesFuzzTest.index(decoder)), encoder)));
    }

    private static void offloadBodies(List<Seed> seeds) {
        String dir = PKG + "OffloadBodiesFuzzTestInputs/offloadBody/";
        seeds.add(new Seed(dir + "aggregate", with(selector(OffloadBodiesFuzzTest.AGGREGATE), out ->
                new AggregateRequest(ElementType.F64, Filter.betweenDoubles(-1.5, 2.5), false, 100).encode(out))));
        seeds.add(new Seed(dir + "aggregate-select", with(selector(OffloadBodiesFuzzTest.AGGREGATE), out ->
                new AggregateRequest(ElementType.I64, Filter.ofLong(Filter.Comparison.GT, 7), true, 0).encode(out))));
        seeds.add(new Seed(dir + "chase", with(selector(OffloadBodiesFuzzTest.CHASE), out ->
                new ChaseRequest(ChaseRequest.Shape.TREE, 26, 0, 8, 16, 32, 12345).encode(out))));
        byte[] key = "user:42".getBytes(StandardCharsets.UTF_8);
        seeds.add(new Seed(dir + "mapGet", with(bytes(out -> {
            out.writeByte(OffloadBodiesFuzzTest.MAP_GET);
            out.writeInt(key.length);
        }), out -> new MapGetRequest(0x1234_5678_9abc_def0L, 1024, 26).encode(out, key, 0, key.length))));
        int phase = 65_000;
        int elements = 1000;
        seeds.add(new Seed(dir + "aggregateResult", with(bytes(out -> {
            out.writeByte(OffloadBodiesFuzzTest.AGGREGATE_RESULT);
            out.writeInt(phase);
            out.writeInt(elements);
        }), out -> new AggregateResult(10, -3, 99, new long[] {55, 44}).encode(out))));
        seeds.add(new Seed(dir + "chaseResult", with(selector(OffloadBodiesFuzzTest.CHASE_RESULT), out ->
                new ChaseResult(ChaseResult.Outcome.FOUND, 12, 0x4000_0040L, new byte[32]).encode(out))));
        seeds.add(new Seed(dir + "mapGetResult", with(selector(OffloadBodiesFuzzTest.MAP_GET_RESULT), out -> {
            out.writeByte(MapGetResult.Outcome.FOUND.ordinal());
            out.writeLong(0x4000_0100L);
            out.writeInt(5);
            out.writeBytes("value".getBytes(StandardCharsets.UTF_8));
        })));
    }

    private static void tokens(List<Seed> seeds) {
        String dir = PKG + "auth/TokenFuzzTestInputs/token/";
        long now = TokenFuzzTest.NOW;
        seeds.add(new Seed(dir + "session", with(new byte[] {0}, out ->
                out.writeBytes(TokenFuzzTest.KEYS.mint(Token.session("orders", now - 1000, now + 60_000, 7))))));
        seeds.add(new Seed(dir + "replica", with(new byte[] {1}, out ->
                out.writeBytes(TokenFuzzTest.KEYS.mint(Token.replica(42, now - 1000, now + 60_000, 8))))));
        seeds.add(new Seed(dir + "session-previous-key", with(new byte[] {0}, out ->
                out.writeBytes(TokenFuzzTest.PREVIOUS_KEYS.mint(Token.session("a", now - 1000, now + 1000, 9))))));
    }

    /** Writes every seed under {@code args[0]}, the test resources root. */
    public static void main(String[] args) throws IOException {
        write(Path.of(args.length > 0 ? args[0] : "src/test/resources"));
    }

    static void write(Path root) throws IOException {
        for (Seed s : all()) {
            Path p = root.resolve(s.path());
            Files.createDirectories(p.getParent());
            Files.write(p, s.bytes());
        }
    }
}
