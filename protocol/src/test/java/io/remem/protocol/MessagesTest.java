package io.remem.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

/**
 * Every message body: property-style round trips over many random valid values (fixed seeds), every truncation
 * and trailing garbage rejected as MALFORMED_FRAME, a few golden encodings, and the field-level rejections.
 */
class MessagesTest {

    private static final int VALUES_PER_MESSAGE = 300;

    // ---------------------------------------------------------------- random valid values

    private static final String ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private static final String TENANT_TAIL = ALNUM + "._-";

    /** Non-negative longs, with the edges over-represented. */
    static long nonNegativeLong(SplittableRandom r) {
        return switch (r.nextInt(6)) {
            case 0 -> 0;
            case 1 -> Long.MAX_VALUE;
            case 2 -> r.nextLong(1 << 16);
            default -> r.nextLong(Long.MAX_VALUE);
        };
    }

    static int nonNegativeInt(SplittableRandom r) {
        return switch (r.nextInt(4)) {
            case 0 -> 0;
            case 1 -> Integer.MAX_VALUE;
            default -> r.nextInt(Integer.MAX_VALUE);
        };
    }

    static int port(SplittableRandom r) {
        return switch (r.nextInt(4)) {
            case 0 -> 1;
            case 1 -> 65535;
            default -> 1 + r.nextInt(65535);
        };
    }

    /** Any string of valid code points: ASCII, Latin-1, CJK and supplementary (surrogate pairs in Java). */
    static String anyString(SplittableRandom r, int minCodePoints, int maxCodePoints) {
        int n = minCodePoints + r.nextInt(maxCodePoints - minCodePoints + 1);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            int cp = switch (r.nextInt(4)) {
                case 0 -> r.nextInt(0x80);
                case 1 -> 0xA0 + r.nextInt(0x100);
                case 2 -> 0x4E00 + r.nextInt(0x5000);
                default -> 0x1F300 + r.nextInt(0x300);
            };
            sb.appendCodePoint(cp);
        }
        return sb.toString();
    }

    static String tenant(SplittableRandom r) {
        int n = 1 + r.nextInt(64);
        StringBuilder sb = new StringBuilder().append(ALNUM.charAt(r.nextInt(ALNUM.length())));
        for (int i = 1; i < n; i++) {
            sb.append(TENANT_TAIL.charAt(r.nextInt(TENANT_TAIL.length())));
        }
        return sb.toString();
    }

    static Replica replica(SplittableRandom r) {
        return new Replica(nonNegativeLong(r), anyString(r, 0, 20), port(r));
    }

    static SlabRun slabRun(SplittableRandom r) {
        int n = 1 + r.nextInt(6);
        long first = r.nextBoolean() ? r.nextLong(1000) : r.nextLong(Long.MAX_VALUE - n);
        List<SlabDescriptor> slabs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            List<Replica> replicas = new ArrayList<>();
            int copies = 1 + r.nextInt(Limits.MAX_REPLICATION);
            for (int c = 0; c < copies; c++) {
                replicas.add(replica(r));
            }
            slabs.add(r.nextInt(4) == 0
                    ? new SlabDescriptor(first + i, nonNegativeLong(r), replicas)
                    : new SlabDescriptor(first + i, nonNegativeLong(r), nonNegativeLong(r), 1 + r.nextInt(copies),
                            replicas));
        }
        return new SlabRun(slabs);
    }

    // ---------------------------------------------------------------- builders of the records with security fields

    private static final byte[] NONCE = new byte[Hello.NONCE_BYTES];

    /** A HELLO with an empty key id, no features, a zero nonce and no credential. */
    static Hello hello(int version, Role role, String principal, int supersedes) {
        return new Hello(version, role, principal, "", supersedes, 0, NONCE, new byte[0]);
    }

    static Hello hello(int version, Role role, String principal) {
        return hello(version, role, principal, 0);
    }

    /** A registration with no key and no signature (the codec does not care; the controller does). */
    static NodeRegister register(long nodeId, String host, int port, long capacity, List<NodeRegister.HeldSlab> held) {
        return new NodeRegister(nodeId, host, port, capacity, new byte[0], new byte[0], held);
    }

    static NodeRegister register(long nodeId, String host, int port, long capacity) {
        return register(nodeId, host, port, capacity, List.of());
    }

    static SlabSync sync(long size, String tenant, long epoch, Replica source) {
        return new SlabSync(size, tenant, epoch, source, new byte[0]);
    }

    static byte[] bytes(SplittableRandom r, int min, int max) {
        byte[] b = new byte[min + r.nextInt(max - min + 1)];
        r.nextBytes(b);
        return b;
    }

    static String keyId(SplittableRandom r) {
        return String.format("k%08x", r.nextInt());
    }

    static NodeRegister nodeRegister(SplittableRandom r) {
        List<NodeRegister.HeldSlab> held = new ArrayList<>();
        for (int i = r.nextInt(3) == 0 ? 0 : r.nextInt(8); i > 0; i--) {
            held.add(new NodeRegister.HeldSlab(nonNegativeLong(r), nonNegativeLong(r), r.nextInt(2)));
        }
        return new NodeRegister(nonNegativeLong(r), anyString(r, 1, 40), port(r), nonNegativeLong(r),
                bytes(r, 0, NodeRegister.MAX_KEY_BYTES), bytes(r, 0, NodeRegister.MAX_KEY_BYTES), held);
    }

    static NodeRegistered nodeRegistered(SplittableRandom r) {
        List<Long> keep = new ArrayList<>();
        for (int i = r.nextInt(3) == 0 ? 0 : r.nextInt(8); i > 0; i--) {
            keep.add(nonNegativeLong(r));
        }
        List<NodeRegistered.Restore> restore = new ArrayList<>();
        for (int i = r.nextInt(3) == 0 ? r.nextInt(4) : 0; i > 0; i--) {
            restore.add(new NodeRegistered.Restore(nonNegativeLong(r), tenant(r), positiveLong(r), nonNegativeLong(r)));
        }
        return new NodeRegistered(nonNegativeLong(r), nonNegativeLong(r), keep, restore);
    }

    static Hello anyHello(SplittableRandom r) {
        Role role = Role.values()[r.nextInt(Role.values().length)];
        String principal = role == Role.CLIENT ? tenant(r) : anyString(r, 0, 30);
        byte[] nonce = new byte[Hello.NONCE_BYTES];
        r.nextBytes(nonce);
        return new Hello(r.nextInt(65536), role, principal, r.nextBoolean() ? "" : keyId(r), r.nextInt(), r.nextInt(),
                nonce, bytes(r, 0, r.nextBoolean() ? 0 : Hello.MAX_CREDENTIAL_BYTES));
    }

    static HelloReply helloReply(SplittableRandom r) {
        if (r.nextBoolean()) {
            byte[] nonce = new byte[Hello.NONCE_BYTES];
            r.nextBytes(nonce);
            return new HelloReply.Challenge(nonce, bytes(r, 0, 64), r.nextInt());
        }
        return new HelloReply.Accepted(r.nextInt(65536), r.nextInt(), anyString(r, 0, 40), r.nextInt(),
                bytes(r, 0, HelloReply.MAX_SIGNATURE_BYTES), bytes(r, 0, HelloReply.MAX_GRANT_BYTES));
    }

    static TenantKey tenantKey(SplittableRandom r) {
        return new TenantKey(tenant(r), keyId(r), bytes(r, 0, TenantKey.MAX_SALT_BYTES), r.nextInt(),
                bytes(r, TenantKey.KEY_BYTES, TenantKey.KEY_BYTES), bytes(r, TenantKey.KEY_BYTES, TenantKey.KEY_BYTES));
    }

    /** Positive longs, with the edges over-represented. */
    static long positiveLong(SplittableRandom r) {
        return switch (r.nextInt(6)) {
            case 0 -> 1;
            case 1 -> Long.MAX_VALUE;
            case 2 -> 1 + r.nextLong(1 << 16);
            default -> 1 + r.nextLong(Long.MAX_VALUE - 1);
        };
    }

    static SlabSync slabSync(SplittableRandom r) {
        return new SlabSync(positiveLong(r), tenant(r), nonNegativeLong(r), replica(r),
                bytes(r, 0, SlabSync.MAX_CAPABILITY_BYTES));
    }

    static DatasetInfo datasetInfo(SplittableRandom r) {
        Map<String, DatasetAccess> grants = new TreeMap<>();
        for (int i = r.nextInt(3); i > 0; i--) {
            grants.put(tenant(r), r.nextBoolean() ? DatasetAccess.READ : DatasetAccess.READ_WRITE);
        }
        return new DatasetInfo(tenant(r), tenant(r), nonNegativeLong(r), r.nextInt(256),
                DatasetMode.values()[r.nextInt(DatasetMode.values().length)], nonNegativeInt(r), grants);
    }

    static ClusterStatus clusterStatus(SplittableRandom r) {
        List<ClusterStatus.Node> nodes = new ArrayList<>();
        for (int i = r.nextInt(5); i > 0; i--) {
            nodes.add(new ClusterStatus.Node(nonNegativeLong(r), anyString(r, 0, 20), port(r), r.nextBoolean(),
                    nonNegativeLong(r), nonNegativeLong(r), nonNegativeLong(r), nonNegativeInt(r), nonNegativeLong(r),
                    r.nextBoolean()));
        }
        List<ClusterStatus.Tenant> tenants = new ArrayList<>();
        for (int i = r.nextInt(5); i > 0; i--) {
            List<String> keys = new ArrayList<>();
            for (int k = r.nextInt(3); k > 0; k--) {
                keys.add(keyId(r));
            }
            tenants.add(new ClusterStatus.Tenant(anyString(r, 0, 20), nonNegativeLong(r), nonNegativeLong(r),
                    nonNegativeInt(r), keys));
        }
        ClusterStatus.Repair repair = r.nextInt(4) == 0 ? ClusterStatus.Repair.NONE
                : new ClusterStatus.Repair(nonNegativeInt(r), nonNegativeInt(r), nonNegativeInt(r), nonNegativeLong(r),
                        nonNegativeLong(r), nonNegativeLong(r), nonNegativeInt(r));
        List<ClusterStatus.Lease> leases = new ArrayList<>();
        for (int i = r.nextInt(4); i > 0; i--) {
            leases.add(new ClusterStatus.Lease(anyString(r, 0, 20), r.nextLong(), nonNegativeInt(r), nonNegativeLong(r),
                    nonNegativeLong(r)));
        }
        return new ClusterStatus(Limits.MIN_SLAB_SHIFT + r.nextInt(Limits.MAX_SLAB_SHIFT - Limits.MIN_SLAB_SHIFT + 1), nodes, tenants,
                repair, leases);
    }

    // ---------------------------------------------------------------- codecs under test

    record Codec<T>(String name, Function<SplittableRandom, T> random, BiConsumer<T, ByteBuf> encode,
                    Function<ByteBuf, T> decode) {
        @Override
        public String toString() {
            return name;
        }

        ByteBuf encoded(T value) {
            ByteBuf b = Unpooled.buffer();
            encode.accept(value, b);
            return b;
        }
    }

    static Stream<Codec<?>> codecs() {
        return Stream.of(
                new Codec<Hello>("Hello", MessagesTest::anyHello, Hello::encode, Hello::decode),
                new Codec<HelloReply>("HelloReply", MessagesTest::helloReply, HelloReply::encode, HelloReply::decode),
                new Codec<AuthProof>("AuthProof", r -> new AuthProof(bytes(r, 0, AuthProof.MAX_BYTES)),
                        AuthProof::encode, AuthProof::decode),
                new Codec<TenantKey>("TenantKey", MessagesTest::tenantKey, TenantKey::encode, TenantKey::decode),
                new Codec<TenantAdd>("TenantAdd", r -> new TenantAdd(r.nextBoolean() ? TenantAdd.DEFAULT_QUOTA
                        : nonNegativeLong(r), tenantKey(r)), TenantAdd::encode, TenantAdd::decode),
                new Codec<TenantRemove>("TenantRemove", r -> new TenantRemove(tenant(r), r.nextBoolean()),
                        TenantRemove::encode, TenantRemove::decode),
                new Codec<DatasetOpen>("DatasetOpen", r -> {
                    DatasetOpen.Disposition d = DatasetOpen.Disposition.values()[r.nextInt(3)];
                    String owner = d == DatasetOpen.Disposition.OPEN && r.nextBoolean() ? tenant(r) : "";
                    DatasetMode mode = DatasetMode.values()[r.nextInt(3)];
                    return new DatasetOpen(owner, tenant(r), d, d == DatasetOpen.Disposition.OPEN ? 0 : positiveLong(r),
                            r.nextInt(Limits.MAX_REPLICATION + 1), mode, r.nextBoolean());
                }, DatasetOpen::encode, DatasetOpen::decode),
                new Codec<DatasetGrow>("DatasetGrow", r -> new DatasetGrow(r.nextBoolean() ? tenant(r) : "", tenant(r),
                        nonNegativeLong(r)), DatasetGrow::encode, DatasetGrow::decode),
                new Codec<List<DatasetInfo>>("DatasetList", r -> {
                    List<DatasetInfo> l = new ArrayList<>();
                    for (int i = r.nextInt(4); i > 0; i--) {
                        l.add(datasetInfo(r));
                    }
                    return l;
                }, DatasetInfo::encodeList, DatasetInfo::decodeList),
                new Codec<DatasetInfo.Opened>("DatasetOpened", r -> new DatasetInfo.Opened(datasetInfo(r),
                        r.nextBoolean() ? DatasetAccess.READ : DatasetAccess.READ_WRITE, bytes(r, 0, 64),
                        new SlabRun(List.of(new SlabDescriptor(positiveLong(r) >>> 1, 1 << 20, 0, 1,
                                List.of(new Replica(1, "h", 7000)))))),
                        DatasetInfo::encodeOpened, DatasetInfo::decodeOpened),
                new Codec<DatasetGrantChange>("DatasetGrantChange", r -> new DatasetGrantChange(tenant(r), tenant(r),
                        DatasetAccess.values()[r.nextInt(3)]), DatasetGrantChange::encode, DatasetGrantChange::decode),
                new Codec<DatasetDelete>("DatasetDelete", r -> new DatasetDelete(tenant(r), tenant(r), r.nextBoolean()),
                        DatasetDelete::encode, DatasetDelete::decode),
                new Codec<TenantQuota>("TenantQuota", r -> new TenantQuota(tenant(r), nonNegativeLong(r)),
                        TenantQuota::encode, TenantQuota::decode),
                new Codec<TenantKeyRevoke>("TenantKeyRevoke", r -> new TenantKeyRevoke(tenant(r), keyId(r)),
                        TenantKeyRevoke::encode, TenantKeyRevoke::decode),
                new Codec<SlabDamaged>("SlabDamaged", r -> new SlabDamaged(r.nextBoolean(), anyString(r, 0, 60)),
                        SlabDamaged::encode, SlabDamaged::decode),
                new Codec<NodeRegister>("NodeRegister", MessagesTest::nodeRegister,
                        NodeRegister::encode, NodeRegister::decode),
                new Codec<NodeRegistered>("NodeRegistered", MessagesTest::nodeRegistered,
                        NodeRegistered::encode, NodeRegistered::decode),
                new Codec<NodeHeartbeat>("NodeHeartbeat",
                        r -> new NodeHeartbeat(nonNegativeLong(r), nonNegativeLong(r), nonNegativeLong(r), nonNegativeInt(r)),
                        NodeHeartbeat::encode, NodeHeartbeat::decode),
                new Codec<SlabCreate>("SlabCreate", r -> new SlabCreate(nonNegativeLong(r), tenant(r)),
                        SlabCreate::encode, SlabCreate::decode),
                new Codec<SlabSync>("SlabSync", MessagesTest::slabSync, SlabSync::encode, SlabSync::decode),
                new Codec<ClusterInfo>("ClusterInfo",
                        r -> new ClusterInfo(Limits.MIN_SLAB_SHIFT + r.nextInt(Limits.MAX_SLAB_SHIFT - Limits.MIN_SLAB_SHIFT + 1),
                                nonNegativeLong(r), nonNegativeLong(r), 1 + r.nextInt(Limits.MAX_REPLICATION), nonNegativeInt(r)),
                        ClusterInfo::encode, ClusterInfo::decode),
                new Codec<SlabAlloc>("SlabAlloc",
                        r -> new SlabAlloc(Math.max(1, nonNegativeLong(r)), r.nextInt(Limits.MAX_REPLICATION + 1)),
                        SlabAlloc::encode, SlabAlloc::decode),
                new Codec<SlabRun>("SlabRun", MessagesTest::slabRun, SlabRun::encode, SlabRun::decode),
                new Codec<ClusterStatus>("ClusterStatus", MessagesTest::clusterStatus,
                        ClusterStatus::encode, ClusterStatus::decode));
    }

    // ---------------------------------------------------------------- properties

    @ParameterizedTest(name = "{0}")
    @MethodSource("codecs")
    void randomValidValuesRoundTripToAnEqualRecord(Codec<?> codec) {
        roundTrips(codec, new SplittableRandom(1));
    }

    private static <T> void roundTrips(Codec<T> codec, SplittableRandom r) {
        for (int i = 0; i < VALUES_PER_MESSAGE; i++) {
            T value = codec.random().apply(r);
            ByteBuf b = codec.encoded(value);
            T decoded = codec.decode().apply(b);
            // Field by field: records with byte[] fields compare their arrays by identity.
            assertThat(decoded).as("value #%d", i).usingRecursiveComparison().isEqualTo(value);
            assertThat(b.isReadable()).as("decode consumed the whole body").isFalse();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("codecs")
    void everyTruncationOfAValidEncodingIsMalformed(Codec<?> codec) {
        truncations(codec, new SplittableRandom(2));
    }

    private static <T> void truncations(Codec<T> codec, SplittableRandom r) {
        for (int i = 0; i < VALUES_PER_MESSAGE / 3; i++) {
            T value = codec.random().apply(r);
            ByteBuf full = codec.encoded(value);
            for (int cut = 0; cut < full.readableBytes(); cut++) {
                ByteBuf prefix = full.copy(0, cut);
                int c = cut;
                assertMalformedOrFail(() -> codec.decode().apply(prefix),
                        codec.name() + " " + value + " cut to " + c + " of " + full.readableBytes() + " bytes");
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("codecs")
    void randomTruncationsAreMalformed(Codec<?> codec) {
        randomTruncations(codec, new SplittableRandom(3));
    }

    private static <T> void randomTruncations(Codec<T> codec, SplittableRandom r) {
        for (int i = 0; i < VALUES_PER_MESSAGE; i++) {
            T value = codec.random().apply(r);
            ByteBuf full = codec.encoded(value);
            int cut = r.nextInt(full.readableBytes());
            assertMalformedOrFail(() -> codec.decode().apply(full.copy(0, cut)),
                    codec.name() + " " + value + " cut to " + cut + " bytes");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("codecs")
    void trailingBytesAreMalformed(Codec<?> codec) {
        trailing(codec, new SplittableRandom(4));
    }

    private static <T> void trailing(Codec<T> codec, SplittableRandom r) {
        for (int i = 0; i < VALUES_PER_MESSAGE; i++) {
            T value = codec.random().apply(r);
            ByteBuf b = codec.encoded(value);
            byte[] extra = new byte[1 + r.nextInt(8)];
            r.nextBytes(extra);
            b.writeBytes(extra);
            assertMalformedOrFail(() -> codec.decode().apply(b), codec.name() + " " + value + " + " + extra.length + " bytes");
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("codecs")
    void corruptedBytesDecodeOrFailOnlyWithRememException(Codec<?> codec) {
        corruptions(codec, new SplittableRandom(5));
    }

    private static <T> void corruptions(Codec<T> codec, SplittableRandom r) {
        for (int i = 0; i < VALUES_PER_MESSAGE * 3; i++) {
            ByteBuf b = codec.encoded(codec.random().apply(r));
            for (int flips = 1 + r.nextInt(3); flips > 0; flips--) {
                int at = r.nextInt(b.readableBytes());
                b.setByte(at, b.getByte(at) ^ (1 << r.nextInt(8)));
            }
            String hex = ByteBufUtil.hexDump(b);
            try {
                codec.decode().apply(b);
            } catch (RememException expected) {
                // fine: refused with a typed error
            } catch (RuntimeException e) {
                fail(codec.name() + " " + hex + " threw " + e, e);
            }
        }
    }

    /** The decode must throw RememException(MALFORMED_FRAME); returning or any other exception fails. */
    private static void assertMalformedOrFail(ThrowingCallable decode, String what) {
        assertThatThrownBy(decode)
                .as(what)
                .isInstanceOfSatisfying(RememException.class,
                        e -> assertThat(e.code()).as(what).isEqualTo(ErrorCode.MALFORMED_FRAME));
    }

    // ---------------------------------------------------------------- golden encodings

    @Test
    void helloGoldenEncoding() {
        byte[] nonce = new byte[Hello.NONCE_BYTES];
        nonce[0] = (byte) 0xAB;
        ByteBuf b = Unpooled.buffer();
        new Hello(3, Role.CLIENT, "acme", "k0000002a", 0x01020304, Features.CHECKSUMS, nonce, new byte[] {7, 8}).encode(b);
        assertThat(ByteBufUtil.hexDump(b)).isEqualTo("0003" + "01"
                + "0004" + "61636d65"                            // principal
                + "0009" + "6b3030303030303261"                  // key id
                + "01020304"                                     // supersedes
                + "00000001"                                     // features: checksums
                + "ab" + "00".repeat(31)                         // nonce
                + "0002" + "0708");                              // credential
        assertThat(Hello.decode(b)).isEqualTo(new Hello(3, Role.CLIENT, "acme", "k0000002a", 0x01020304,
                Features.CHECKSUMS, nonce, new byte[] {7, 8}));
    }

    @Test
    void helloReplyGoldenEncodings() {
        ByteBuf accepted = Unpooled.buffer();
        new HelloReply.Accepted(3, 0x0A0B0C0D, "n", 1, new byte[] {1}, new byte[] {2, 3}).encode(accepted);
        assertThat(ByteBufUtil.hexDump(accepted)).isEqualTo("00" + "0003" + "0a0b0c0d" + "0001" + "6e" + "00000001"
                + "0001" + "01" + "0002" + "0203");
        byte[] nonce = new byte[Hello.NONCE_BYTES];
        ByteBuf challenge = Unpooled.buffer();
        new HelloReply.Challenge(nonce, new byte[] {9, 9}, 4096).encode(challenge);
        assertThat(ByteBufUtil.hexDump(challenge)).isEqualTo("01" + "00".repeat(32) + "0002" + "0909" + "00001000");
        assertThat(HelloReply.decode(challenge)).isInstanceOfSatisfying(HelloReply.Challenge.class,
                c -> assertThat(c.iterations()).isEqualTo(4096));
    }

    @Test
    void helloReplyWithAnUnknownStepIsMalformed() {
        ByteBuf b = Unpooled.buffer().writeByte(2);
        assertCode(() -> HelloReply.decode(b), ErrorCode.MALFORMED_FRAME);
    }

    @Test
    void helloWithANonceOfTheWrongLengthOrAnOversizedCredentialIsRefused() {
        assertCode(() -> new Hello(3, Role.CLIENT, "a", "", 0, 0, new byte[31], new byte[0]), ErrorCode.MALFORMED_FRAME);
        assertCode(() -> new Hello(3, Role.CLIENT, "a", "", 0, 0, new byte[32], new byte[Hello.MAX_CREDENTIAL_BYTES + 1]),
                ErrorCode.MALFORMED_FRAME);
        ByteBuf b = Unpooled.buffer();
        hello(3, Role.CLIENT, "a").encode(b);
        b.writerIndex(b.writerIndex() - 2);
        b.writeShort(Hello.MAX_CREDENTIAL_BYTES + 1); // the credential's length, over its limit, before any byte of it
        assertThatThrownBy(() -> Hello.decode(b)).isInstanceOfSatisfying(RememException.class,
                e -> assertThat(e.detail()).contains("hello.credential"));
    }

    @Test
    void helloToStringNeverShowsTheCredential() {
        Hello h = new Hello(3, Role.CLIENT, "acme", "", 0, 0, new byte[32], "SECRETTOKEN".getBytes());
        assertThat(h.toString()).doesNotContain("SECRETTOKEN").contains("with a credential");
    }

    @Test
    void slabAllocGoldenEncoding() {
        ByteBuf b = Unpooled.buffer();
        new SlabAlloc(4096, 2).encode(b);
        assertThat(ByteBufUtil.hexDump(b)).isEqualTo("0000000000001000" + "02");
    }

    @Test
    void nodeRegisterGoldenEncoding() {
        ByteBuf b = Unpooled.buffer();
        new NodeRegister(7, "h", 7070, 1L << 30, new byte[] {1, 2}, new byte[] {3}, List.of()).encode(b);
        assertThat(ByteBufUtil.hexDump(b)).isEqualTo("0000000000000007" + "0001" + "68" + "1b9e" + "0000000040000000"
                + "0002" + "0102"                                // public key
                + "0001" + "03"                                  // signature
                + "00000000");                                   // no held slabs
    }

    @Test
    void nodeRegisterWithHeldSlabsGoldenEncoding() {
        ByteBuf b = Unpooled.buffer();
        NodeRegister register = register(7, "h", 7070, 1L << 30, List.of(new NodeRegister.HeldSlab(5, 2),
                new NodeRegister.HeldSlab(0x0102030405060708L, 0, NodeRegister.DAMAGED)));
        register.encode(b);
        assertThat(ByteBufUtil.hexDump(b)).isEqualTo("0000000000000007" + "0001" + "68" + "1b9e" + "0000000040000000"
                + "0000" + "0000"                                // no key, no signature
                + "00000002"                                     // held count
                + "0000000000000005" + "0000000000000002" + "00" // slab 5 at epoch 2
                + "0102030405060708" + "0000000000000000" + "01"); // another slab at epoch 0, damaged
        NodeRegister decoded = NodeRegister.decode(b);
        assertThat(decoded.held()).isEqualTo(register.held());
        assertThat(decoded.held().get(1).damaged()).isTrue();
    }

    @Test
    void nodeRegisteredGoldenEncoding() {
        ByteBuf plain = Unpooled.buffer();
        new NodeRegistered(3, 1000).encode(plain);
        assertThat(ByteBufUtil.hexDump(plain)).isEqualTo("0000000000000003" + "00000000000003e8" + "00000000"
                + "00000000");

        ByteBuf b = Unpooled.buffer();
        NodeRegistered registered = new NodeRegistered(3, 1000, List.of(4L, 9L),
                List.of(new NodeRegistered.Restore(6, "t", 1 << 20, 2)));
        registered.encode(b);
        assertThat(ByteBufUtil.hexDump(b)).isEqualTo("0000000000000003" + "00000000000003e8"
                + "00000002" + "0000000000000004" + "0000000000000009"
                + "00000001" + "0000000000000006" + "0001" + "74" + "0000000000100000" + "0000000000000002");
        assertThat(NodeRegistered.decode(b)).isEqualTo(registered);
    }

    @Test
    void slabRunGoldenEncoding() {
        ByteBuf b = Unpooled.buffer();
        new SlabRun(List.of(new SlabDescriptor(5, 1 << 20, List.of(new Replica(9, "n", 80))))).encode(b);
        assertThat(ByteBufUtil.hexDump(b)).isEqualTo("00000001"
                + "0000000000000005" + "0000000000100000"
                + "0000000000000000"                             // epoch 0
                + "01"                                           // readable: every replica
                + "01"                                           // replica count
                + "0000000000000009" + "0001" + "6e" + "0050");
    }

    @Test
    void slabDescriptorWithEpochAndReadableGoldenEncoding() {
        SlabDescriptor slab = new SlabDescriptor(5, 1 << 20, 0x0A0B0C0D0E0F1011L, 1,
                List.of(new Replica(9, "n", 80), new Replica(10, "m", 81)));
        ByteBuf b = Unpooled.buffer();
        slab.encode(b);
        assertThat(ByteBufUtil.hexDump(b)).isEqualTo("0000000000000005" + "0000000000100000"
                + "0a0b0c0d0e0f1011"                             // epoch
                + "01"                                           // readable: the primary only
                + "02"                                           // replica count
                + "0000000000000009" + "0001" + "6e" + "0050"
                + "000000000000000a" + "0001" + "6d" + "0051");
        SlabDescriptor decoded = SlabDescriptor.decode(b);
        assertThat(decoded).isEqualTo(slab);
        assertThat(decoded.epoch()).isEqualTo(0x0A0B0C0D0E0F1011L);
        assertThat(decoded.readable()).isEqualTo(1);
        assertThat(decoded.primary()).isEqualTo(new Replica(9, "n", 80));
        assertThat(b.isReadable()).isFalse();
    }

    @Test
    void slabSyncGoldenEncoding() {
        SlabSync sync = new SlabSync(1 << 20, "acme", 7, new Replica(2, "n", 7000), new byte[] {5, 6});
        ByteBuf b = Unpooled.buffer();
        sync.encode(b);
        assertThat(ByteBufUtil.hexDump(b)).isEqualTo("0000000000100000"   // size
                + "0004" + "61636d65"                            // tenant
                + "0000000000000007"                             // epoch
                + "0000000000000002" + "0001" + "6e" + "1b58"    // source replica
                + "0002" + "0506");                              // capability
        assertThat(SlabSync.decode(b)).usingRecursiveComparison().isEqualTo(sync);
    }

    @Test
    void clusterStatusGoldenEncoding() {
        ClusterStatus status = new ClusterStatus(26,
                List.of(new ClusterStatus.Node(1, "h", 7000, true, 10, 5, 6, 2, 100, true)),
                List.of(new ClusterStatus.Tenant("t", 50, 40, 3, List.of("k0000002a"))),
                new ClusterStatus.Repair(1, 2, 3, 4, 5, 6, 7),
                List.of(new ClusterStatus.Lease("t", -2, 3, 8, 9)));
        ByteBuf b = Unpooled.buffer();
        status.encode(b);
        assertThat(ByteBufUtil.hexDump(b)).isEqualTo("1a"
                + "00000001"                                     // node count
                + "0000000000000001" + "0001" + "68" + "1b58" + "01"
                + "000000000000000a" + "0000000000000005" + "0000000000000006" + "00000002" + "0000000000000064"
                + "01"                                           // draining
                + "00000001"                                     // tenant count
                + "0001" + "74" + "0000000000000032" + "0000000000000028" + "00000003"
                + "00000001" + "0009" + "6b3030303030303261"    // key ids
                + "00000001" + "00000002" + "00000003"           // under-replicated, unavailable, copying
                + "0000000000000004" + "0000000000000005" + "0000000000000006" // copied, to copy, slabs copied
                + "00000007"                                     // quarantined
                + "00000001" + "0001" + "74" + "fffffffffffffffe" // lease count, tenant, id (any 64 bits)
                + "00000003" + "0000000000000008" + "0000000000000009"); // slabs, bytes, expires in
        assertThat(ClusterStatus.decode(b)).isEqualTo(status);
    }

    @Test
    void clusterStatusWithNothingGoldenEncoding() {
        ByteBuf b = Unpooled.buffer();
        new ClusterStatus(20, List.of(), List.of()).encode(b);
        assertThat(ByteBufUtil.hexDump(b)).isEqualTo("14" + "00000000" + "00000000"
                + "00000000" + "00000000" + "00000000"
                + "0000000000000000" + "0000000000000000" + "0000000000000000" + "00000000" + "00000000");
    }

    @Test
    void clusterInfoDecodesAHandWrittenBody() {
        ByteBuf b = Unpooled.buffer();
        b.writeByte(26);
        b.writeLong(1L << 40);
        b.writeLong(12345);
        b.writeByte(3);
        b.writeInt(4);
        ClusterInfo info = ClusterInfo.decode(b);
        assertThat(info).isEqualTo(new ClusterInfo(26, 1L << 40, 12345, 3, 4));
        assertThat(info.slabSize()).isEqualTo(64L << 20);
    }

    // ---------------------------------------------------------------- rejections

    private static void assertCode(ThrowingCallable call, ErrorCode code) {
        assertThatThrownBy(call).isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(code));
    }

    @Test
    void helloFromAClientWithAnInvalidTenantIsAnInvalidArgument() {
        for (String bad : new String[] {"", "-acme", "ac me", "acme/x", "ü", "a".repeat(65)}) {
            ByteBuf b = Unpooled.buffer();
            hello(1, Role.CLIENT, bad).encode(b);
            assertThatThrownBy(() -> Hello.decode(b))
                    .as("tenant '%s'", bad)
                    .isInstanceOfSatisfying(RememException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        }
    }

    @Test
    void helloFromAMemoryNodeDoesNotNeedATenant() {
        ByteBuf b = Unpooled.buffer();
        hello(1, Role.MEMORY_NODE, "").encode(b);
        assertThat(Hello.decode(b)).isEqualTo(hello(1, Role.MEMORY_NODE, ""));
    }

    @Test
    void helloFromAReplicaDoesNotNeedATenant() {
        ByteBuf b = Unpooled.buffer();
        hello(1, Role.REPLICA, "").encode(b);
        assertThat(ByteBufUtil.hexDump(b)).startsWith("0001" + "03" + "0000");
        assertThat(Hello.decode(b)).isEqualTo(hello(1, Role.REPLICA, ""));
    }

    @Test
    void helloWithAnUnknownRoleIsMalformed() {
        for (int role : new int[] {0, 5, 255}) {
            ByteBuf b = Unpooled.buffer();
            b.writeShort(1);
            b.writeByte(role);
            Bodies.writeString(b, "acme");
            Bodies.writeString(b, "");
            b.writeInt(0).writeInt(0).writeBytes(new byte[Hello.NONCE_BYTES]).writeShort(0); // only the role is wrong
            assertThatThrownBy(() -> Hello.decode(b))
                    .as("role %d", role)
                    .isInstanceOfSatisfying(RememException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_FRAME);
                        assertThat(e.detail()).contains("role");
                    });
        }
    }

    @Test
    void slabAllocOfZeroBytesIsAnInvalidArgument() {
        ByteBuf b = Unpooled.buffer();
        new SlabAlloc(0, 1).encode(b);
        assertCode(() -> SlabAlloc.decode(b), ErrorCode.INVALID_ARGUMENT);
    }

    @Test
    void slabAllocOfNegativeBytesIsMalformed() {
        ByteBuf b = Unpooled.buffer();
        new SlabAlloc(-1, 1).encode(b);
        assertCode(() -> SlabAlloc.decode(b), ErrorCode.MALFORMED_FRAME);
    }

    @Test
    void slabAllocAboveMaxReplicationIsAnInvalidArgument() {
        ByteBuf ok = Unpooled.buffer();
        new SlabAlloc(1, Limits.MAX_REPLICATION).encode(ok);
        assertThat(SlabAlloc.decode(ok).replication()).isEqualTo(8);

        ByteBuf b = Unpooled.buffer();
        new SlabAlloc(1, Limits.MAX_REPLICATION + 1).encode(b);
        assertCode(() -> SlabAlloc.decode(b), ErrorCode.INVALID_ARGUMENT);

        ByteBuf max = Unpooled.buffer();
        new SlabAlloc(1, 255).encode(max);
        assertCode(() -> SlabAlloc.decode(max), ErrorCode.INVALID_ARGUMENT);
    }

    private static SlabDescriptor slab(long id) {
        return new SlabDescriptor(id, 1 << 20, List.of(new Replica(1, "node-1", 7000)));
    }

    @Test
    void slabRunWithNonConsecutiveIdsIsMalformedOnTheWire() {
        for (long[] ids : new long[][] {{4, 6}, {4, 4}, {5, 4}, {1, 2, 4}}) {
            ByteBuf b = Unpooled.buffer();
            b.writeInt(ids.length);
            for (long id : ids) {
                slab(id).encode(b);
            }
            assertThatThrownBy(() -> SlabRun.decode(b))
                    .as("ids %s", Arrays.toString(ids))
                    .isInstanceOfSatisfying(RememException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_FRAME));
        }
    }

    @Test
    void slabRunConstructorRejectsNonConsecutiveIds() {
        assertCode(() -> new SlabRun(List.of(slab(1), slab(3))), ErrorCode.MALFORMED_FRAME);
    }

    @Test
    void slabRunOfZeroSlabsIsMalformed() {
        ByteBuf b = Unpooled.buffer().writeInt(0);
        assertCode(() -> SlabRun.decode(b), ErrorCode.MALFORMED_FRAME);
    }

    @Test
    void slabRunCountAboveTheLimitIsMalformed() {
        ByteBuf b = Unpooled.buffer().writeInt(SlabRun.MAX_SLABS + 1);
        assertCode(() -> SlabRun.decode(b), ErrorCode.MALFORMED_FRAME);
        ByteBuf negative = Unpooled.buffer().writeInt(-1);
        assertCode(() -> SlabRun.decode(negative), ErrorCode.MALFORMED_FRAME);
    }

    @Test
    void slabRunAccessorsDescribeTheRun() {
        SlabRun run = new SlabRun(List.of(
                new SlabDescriptor(10, 100, List.of(new Replica(1, "a", 1), new Replica(2, "b", 2))),
                new SlabDescriptor(11, 50, List.of(new Replica(3, "c", 3)))));
        assertThat(run.firstSlabId()).isEqualTo(10);
        assertThat(run.bytes()).isEqualTo(150);
        assertThat(run.slabs().getFirst().primary()).isEqualTo(new Replica(1, "a", 1));
        assertThat(run.slabs().get(1).primary().address()).isEqualTo("c:3");
    }

    @Test
    void slabDescriptorWithZeroReplicasIsMalformed() {
        ByteBuf b = Unpooled.buffer().writeInt(1).writeLong(1).writeLong(1 << 20).writeByte(0);
        assertCode(() -> SlabRun.decode(b), ErrorCode.MALFORMED_FRAME);
        assertCode(() -> new SlabDescriptor(1, 1 << 20, List.of()), ErrorCode.MALFORMED_FRAME);
    }

    @Test
    void slabDescriptorWithMoreThanMaxReplicationReplicasIsMalformed() {
        ByteBuf b = Unpooled.buffer().writeInt(1).writeLong(1).writeLong(1 << 20).writeByte(Limits.MAX_REPLICATION + 1);
        for (int i = 0; i <= Limits.MAX_REPLICATION; i++) {
            new Replica(i, "n" + i, 7000 + i).encode(b);
        }
        assertCode(() -> SlabRun.decode(b), ErrorCode.MALFORMED_FRAME);
        List<Replica> replicas = new ArrayList<>();
        for (int i = 0; i <= Limits.MAX_REPLICATION; i++) {
            replicas.add(new Replica(i, "n" + i, 7000 + i));
        }
        assertCode(() -> new SlabDescriptor(1, 1 << 20, replicas), ErrorCode.MALFORMED_FRAME);
    }

    @Test
    void clusterInfoAcceptsTheSlabShiftLimitsAndRejectsOutsideThem() {
        for (int shift : new int[] {Limits.MIN_SLAB_SHIFT, Limits.MAX_SLAB_SHIFT}) {
            ByteBuf b = Unpooled.buffer();
            new ClusterInfo(shift, 0, 0, 1, 1).encode(b);
            assertThat(ClusterInfo.decode(b).slabShift()).isEqualTo(shift);
        }
        for (int shift : new int[] {0, Limits.MIN_SLAB_SHIFT - 1, Limits.MAX_SLAB_SHIFT + 1, 63, 255}) {
            ByteBuf b = Unpooled.buffer();
            new ClusterInfo(shift, 0, 0, 1, 1).encode(b);
            assertThatThrownBy(() -> ClusterInfo.decode(b))
                    .as("shift %d", shift)
                    .isInstanceOfSatisfying(RememException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_FRAME);
                        assertThat(e.detail()).contains("clusterInfo.slabShift");
                    });
        }
    }

    @Test
    void nodeRegisterWithPortZeroIsMalformed() {
        ByteBuf b = Unpooled.buffer().writeLong(0);
        Bodies.writeString(b, "host");
        b.writeShort(0).writeLong(1);
        assertCode(() -> register(0, "host", 0, 1), ErrorCode.MALFORMED_FRAME);
        assertThatThrownBy(() -> NodeRegister.decode(b))
                .isInstanceOfSatisfying(RememException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_FRAME);
                    assertThat(e.detail()).contains("register.port");
                });
    }

    @Test
    void nodeRegisterWithAnEmptyHostIsMalformed() {
        ByteBuf b = Unpooled.buffer();
        register(0, "", 7000, 1).encode(b);
        assertCode(() -> NodeRegister.decode(b), ErrorCode.MALFORMED_FRAME);
    }

    @Test
    void nodeRegisterWithNegativeCapacityIsMalformed() {
        ByteBuf b = Unpooled.buffer();
        register(0, "h", 7000, -5).encode(b);
        assertCode(() -> NodeRegister.decode(b), ErrorCode.MALFORMED_FRAME);
    }

    @Test
    void slabCreateWithAnInvalidTenantIsAnInvalidArgument() {
        ByteBuf b = Unpooled.buffer();
        new SlabCreate(1 << 20, "no spaces").encode(b);
        assertCode(() -> SlabCreate.decode(b), ErrorCode.INVALID_ARGUMENT);
    }

    @Test
    void heartbeatWithANegativeSlabCountIsMalformed() {
        ByteBuf b = Unpooled.buffer();
        new NodeHeartbeat(1, 1, 1, -1).encode(b);
        assertCode(() -> NodeHeartbeat.decode(b), ErrorCode.MALFORMED_FRAME);
    }

    @Test
    void clusterStatusWithPortZeroIsMalformed() {
        ClusterStatus status = new ClusterStatus(26,
                List.of(new ClusterStatus.Node(1, "h", 0, true, 1, 1, 1, 1, 1)), List.of());
        ByteBuf b = Unpooled.buffer();
        status.encode(b);
        assertCode(() -> ClusterStatus.decode(b), ErrorCode.MALFORMED_FRAME);
    }

    /** A status body with one node whose alive and draining bytes are given, no tenants and {@code repair}. */
    private static ByteBuf statusBody(int alive, int draining, int underReplicated, int unavailable, int copying,
                                      long copiedBytes, long copyBytes, long copiedSlabs) {
        ByteBuf b = Unpooled.buffer();
        b.writeByte(26);
        b.writeInt(1);
        b.writeLong(1);
        Bodies.writeString(b, "h");
        b.writeShort(7000);
        b.writeByte(alive);
        b.writeLong(10).writeLong(5).writeLong(6).writeInt(2).writeLong(100);
        b.writeByte(draining);
        b.writeInt(0);
        b.writeInt(underReplicated).writeInt(unavailable).writeInt(copying);
        b.writeLong(copiedBytes).writeLong(copyBytes).writeLong(copiedSlabs);
        return b.writeInt(0).writeInt(0); // none quarantined, no leases
    }

    @Test
    void clusterStatusNodeFlagsAreZeroOrOne() {
        ClusterStatus status = ClusterStatus.decode(statusBody(1, 0, 0, 0, 0, 0, 0, 0));
        assertThat(status.nodes()).containsExactly(new ClusterStatus.Node(1, "h", 7000, true, 10, 5, 6, 2, 100));
        assertThat(status.nodes().getFirst().address()).isEqualTo("h:7000");
        assertThat(status.nodes().getFirst().draining()).isFalse();
        assertThat(status.tenants()).isEmpty();
        assertThat(status.repair()).isEqualTo(ClusterStatus.Repair.NONE);
        assertThat(status.slabSize()).isEqualTo(64L << 20);
    }

    @Test
    void clusterStatusNodeFlagsOtherThanZeroOrOneAreMalformed() {
        ClusterStatus status = ClusterStatus.decode(statusBody(0, 1, 0, 0, 0, 0, 0, 0));
        assertThat(status.nodes()).containsExactly(new ClusterStatus.Node(1, "h", 7000, false, 10, 5, 6, 2, 100, true));
        for (int bad : new int[] {2, 0x7F, 0x80, 0xFF}) {
            assertCode(() -> ClusterStatus.decode(statusBody(bad, 0, 0, 0, 0, 0, 0, 0)), ErrorCode.MALFORMED_FRAME);
            assertCode(() -> ClusterStatus.decode(statusBody(0, bad, 0, 0, 0, 0, 0, 0)), ErrorCode.MALFORMED_FRAME);
        }
    }

    @Test
    void clusterStatusDecodesTheRepairRecordAtTheEnd() {
        ClusterStatus status = ClusterStatus.decode(statusBody(1, 0, 7, 1, 2, 1000, 4096, Long.MAX_VALUE));
        assertThat(status.repair()).isEqualTo(new ClusterStatus.Repair(7, 1, 2, 1000, 4096, Long.MAX_VALUE));
        assertThat(status.repair().done()).isFalse();
    }

    @Test
    void clusterStatusWithANegativeRepairFieldIsMalformed() {
        List<ByteBuf> bad = List.of(
                statusBody(1, 0, -1, 0, 0, 0, 0, 0),
                statusBody(1, 0, 0, -1, 0, 0, 0, 0),
                statusBody(1, 0, 0, 0, Integer.MIN_VALUE, 0, 0, 0),
                statusBody(1, 0, 0, 0, 0, -1, 0, 0),
                statusBody(1, 0, 0, 0, 0, 0, Long.MIN_VALUE, 0),
                statusBody(1, 0, 0, 0, 0, 0, 0, -1));
        for (int i = 0; i < bad.size(); i++) {
            ByteBuf b = bad.get(i);
            assertThatThrownBy(() -> ClusterStatus.decode(b))
                    .as("field %d", i)
                    .isInstanceOfSatisfying(RememException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_FRAME);
                        assertThat(e.detail()).contains("repair.");
                    });
        }
    }

    @Test
    void clusterStatusInTheOldLayoutIsMalformed() {
        // No draining byte and no repair record: the body ends too soon.
        ByteBuf b = Unpooled.buffer();
        b.writeByte(26);
        b.writeInt(1);
        b.writeLong(1);
        Bodies.writeString(b, "h");
        b.writeShort(7000);
        b.writeByte(1);
        b.writeLong(10).writeLong(5).writeLong(6).writeInt(2).writeLong(100);
        b.writeInt(0);
        assertCode(() -> ClusterStatus.decode(b), ErrorCode.MALFORMED_FRAME);
    }

    @Test
    void clusterStatusRepairIsDoneOnlyWhenNothingIsLeft() {
        assertThat(ClusterStatus.Repair.NONE.done()).isTrue();
        assertThat(new ClusterStatus.Repair(0, 0, 0, 100, 100, 9).done()).isTrue();
        assertThat(new ClusterStatus.Repair(1, 0, 0, 0, 0, 0).done()).isFalse();
        assertThat(new ClusterStatus.Repair(0, 1, 0, 0, 0, 0).done()).isFalse();
        assertThat(new ClusterStatus.Repair(0, 0, 1, 0, 0, 0).done()).isFalse();
    }

    @Test
    void clusterStatusShortConstructorsMeanNoRepairAndNotDraining() {
        ClusterStatus.Node node = new ClusterStatus.Node(1, "h", 7000, true, 10, 5, 6, 2, 100);
        assertThat(node.draining()).isFalse();
        assertThat(node).isEqualTo(new ClusterStatus.Node(1, "h", 7000, true, 10, 5, 6, 2, 100, false));
        ClusterStatus status = new ClusterStatus(26, List.of(node), List.of());
        assertThat(status.repair()).isEqualTo(ClusterStatus.Repair.NONE);
        assertThat(status).isEqualTo(new ClusterStatus(26, List.of(node), List.of(), ClusterStatus.Repair.NONE));
    }

    // ---------------------------------------------------------------- slab descriptors: epoch and readable replicas

    private static final List<Replica> TWO = List.of(new Replica(1, "a", 7001), new Replica(2, "b", 7002));

    /** A descriptor body with the given epoch and readable count and the replicas of {@link #TWO}. */
    private static ByteBuf descriptorBody(long epoch, int readable) {
        ByteBuf b = Unpooled.buffer();
        b.writeLong(3).writeLong(1 << 20).writeLong(epoch).writeByte(readable).writeByte(TWO.size());
        for (Replica r : TWO) {
            r.encode(b);
        }
        return b;
    }

    @Test
    void slabDescriptorDecodesEpochAndReadableFromTheWire() {
        for (int readable = 1; readable <= TWO.size(); readable++) {
            SlabDescriptor slab = SlabDescriptor.decode(descriptorBody(42, readable));
            assertThat(slab).isEqualTo(new SlabDescriptor(3, 1 << 20, 42, readable, TWO));
        }
        assertThat(SlabDescriptor.decode(descriptorBody(Long.MAX_VALUE, 2)).epoch()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void slabDescriptorShortConstructorIsEpochZeroAndEveryReplicaReadable() {
        SlabDescriptor slab = new SlabDescriptor(3, 1 << 20, TWO);
        assertThat(slab.epoch()).isZero();
        assertThat(slab.readable()).isEqualTo(2);
        assertThat(slab).isEqualTo(new SlabDescriptor(3, 1 << 20, 0, 2, TWO));
    }

    @Test
    void slabDescriptorWithNoReadableReplicaIsMalformed() {
        assertThatThrownBy(() -> SlabDescriptor.decode(descriptorBody(1, 0)))
                .isInstanceOfSatisfying(RememException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_FRAME);
                    assertThat(e.detail()).contains("readable");
                });
        assertCode(() -> new SlabDescriptor(3, 1 << 20, 1, 0, TWO), ErrorCode.MALFORMED_FRAME);
        assertCode(() -> new SlabDescriptor(3, 1 << 20, 1, -1, TWO), ErrorCode.MALFORMED_FRAME);
    }

    @Test
    void slabDescriptorWithMoreReadableThanReplicasIsMalformed() {
        for (int readable : new int[] {TWO.size() + 1, Limits.MAX_REPLICATION, Limits.MAX_REPLICATION + 1, 255}) {
            assertThatThrownBy(() -> SlabDescriptor.decode(descriptorBody(1, readable)))
                    .as("readable %d", readable)
                    .isInstanceOfSatisfying(RememException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_FRAME);
                        assertThat(e.detail()).contains("readable");
                    });
            assertCode(() -> new SlabDescriptor(3, 1 << 20, 1, readable, TWO), ErrorCode.MALFORMED_FRAME);
        }
    }

    @Test
    void slabDescriptorWithANegativeEpochIsMalformed() {
        for (long epoch : new long[] {-1, Long.MIN_VALUE}) {
            assertThatThrownBy(() -> SlabDescriptor.decode(descriptorBody(epoch, 1)))
                    .as("epoch %d", epoch)
                    .isInstanceOfSatisfying(RememException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_FRAME);
                        assertThat(e.detail()).contains("slab.epoch");
                    });
            assertCode(() -> new SlabDescriptor(3, 1 << 20, epoch, 1, TWO), ErrorCode.MALFORMED_FRAME);
        }
    }

    @Test
    void slabDescriptorCutAnywhereIsMalformed() {
        ByteBuf full = descriptorBody(9, 2);
        for (int cut = 0; cut < full.readableBytes(); cut++) {
            ByteBuf prefix = full.copy(0, cut);
            assertMalformedOrFail(() -> SlabDescriptor.decode(prefix), "descriptor cut to " + cut + " bytes");
        }
    }

    @Test
    void slabRunInTheOldLayoutIsMalformed() {
        // id, size, replica count, replica: no epoch and no readable count.
        ByteBuf b = Unpooled.buffer().writeInt(1).writeLong(5).writeLong(1 << 20).writeByte(1);
        new Replica(9, "n", 80).encode(b);
        assertCode(() -> SlabRun.decode(b), ErrorCode.MALFORMED_FRAME);
    }

    // ---------------------------------------------------------------- registration: held slabs and the keep list

    /**
     * A NODE_REGISTER body for node 7 at h:7000, with no key or signature, the given held count and (slabId, epoch)
     * pairs, each followed by a flags byte of 0; an odd long at the end is written alone.
     */
    private static ByteBuf registerBody(int heldCount, long... pairs) {
        ByteBuf b = Unpooled.buffer().writeLong(7);
        Bodies.writeString(b, "h");
        b.writeShort(7000).writeLong(1 << 30).writeShort(0).writeShort(0).writeInt(heldCount);
        for (int i = 0; i < pairs.length; i += 2) {
            b.writeLong(pairs[i]);
            if (i + 1 < pairs.length) {
                b.writeLong(pairs[i + 1]).writeByte(0);
            }
        }
        return b;
    }

    @Test
    void nodeRegisterDecodesHeldSlabsInOrder() {
        NodeRegister register = NodeRegister.decode(registerBody(3, 9, 1, 4, 0, 6, Long.MAX_VALUE));
        assertThat(register.held()).containsExactly(new NodeRegister.HeldSlab(9, 1), new NodeRegister.HeldSlab(4, 0),
                new NodeRegister.HeldSlab(6, Long.MAX_VALUE));
        assertThat(register.host()).isEqualTo("h");
        assertThat(register.capacity()).isEqualTo(1 << 30);
    }

    @Test
    void nodeRegisterShortConstructorHoldsNothing() {
        assertThat(register(7, "h", 7000, 1).held()).isEmpty();
        assertThat(register(7, "h", 7000, 1).held()).isEqualTo(register(7, "h", 7000, 1, List.of()).held());
    }

    @Test
    void nodeRegisterCopiesTheHeldList() {
        List<NodeRegister.HeldSlab> held = new ArrayList<>(List.of(new NodeRegister.HeldSlab(1, 1)));
        NodeRegister register = register(7, "h", 7000, 1, held);
        held.add(new NodeRegister.HeldSlab(2, 2));
        assertThat(register.held()).containsExactly(new NodeRegister.HeldSlab(1, 1));
        assertThatThrownBy(() -> register.held().add(new NodeRegister.HeldSlab(3, 3)))
                .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void nodeRegisterWithANegativeHeldSlabOrEpochIsMalformed() {
        assertThatThrownBy(() -> NodeRegister.decode(registerBody(1, -1, 0)))
                .isInstanceOfSatisfying(RememException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_FRAME);
                    assertThat(e.detail()).contains("register.held.slabId");
                });
        assertThatThrownBy(() -> NodeRegister.decode(registerBody(1, 1, Long.MIN_VALUE)))
                .isInstanceOfSatisfying(RememException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_FRAME);
                    assertThat(e.detail()).contains("register.held.epoch");
                });
    }

    @Test
    void nodeRegisterHeldCountOutsideItsBoundsIsMalformed() {
        for (int count : new int[] {-1, Integer.MIN_VALUE, NodeRegister.MAX_HELD + 1, Integer.MAX_VALUE}) {
            assertThatThrownBy(() -> NodeRegister.decode(registerBody(count)))
                    .as("count %d", count)
                    .isInstanceOfSatisfying(RememException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_FRAME);
                        assertThat(e.detail()).contains("register.heldCount");
                    });
        }
    }

    @Test
    void nodeRegisterListingMoreHeldSlabsThanItCarriesIsMalformed() {
        assertCode(() -> NodeRegister.decode(registerBody(2, 1, 1)), ErrorCode.MALFORMED_FRAME);
        assertCode(() -> NodeRegister.decode(registerBody(NodeRegister.MAX_HELD, 1, 1)), ErrorCode.MALFORMED_FRAME);
        assertCode(() -> NodeRegister.decode(registerBody(1, 1, 1, 2)), ErrorCode.MALFORMED_FRAME); // a trailing long
    }

    @Test
    void nodeRegisterInTheOldLayoutIsMalformed() {
        ByteBuf b = Unpooled.buffer().writeLong(7);
        Bodies.writeString(b, "h");
        b.writeShort(7000).writeLong(1 << 30);
        assertCode(() -> NodeRegister.decode(b), ErrorCode.MALFORMED_FRAME);
    }

    /** A NODE_REGISTER response body for node 3 with the given keep count and ids. */
    private static ByteBuf registeredBody(int keepCount, long... ids) {
        ByteBuf b = Unpooled.buffer().writeLong(3).writeLong(1000).writeInt(keepCount);
        for (long id : ids) {
            b.writeLong(id);
        }
        return b.writeInt(0); // no slab to restore
    }

    @Test
    void nodeRegisteredDecodesTheKeepListInOrder() {
        NodeRegistered registered = NodeRegistered.decode(registeredBody(3, 8, 2, Long.MAX_VALUE));
        assertThat(registered.keep()).containsExactly(8L, 2L, Long.MAX_VALUE);
        assertThat(registered.nodeId()).isEqualTo(3);
        assertThat(registered.heartbeatIntervalMillis()).isEqualTo(1000);
        assertThat(new NodeRegistered(3, 1000).keep()).isEmpty();
    }

    @Test
    void nodeRegisteredWithANegativeKeptSlabIsMalformed() {
        assertThatThrownBy(() -> NodeRegistered.decode(registeredBody(2, 1, -5)))
                .isInstanceOfSatisfying(RememException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_FRAME);
                    assertThat(e.detail()).contains("registered.keep");
                });
    }

    @Test
    void nodeRegisteredKeepCountOutsideItsBoundsOrBeyondTheBodyIsMalformed() {
        for (int count : new int[] {-1, NodeRegister.MAX_HELD + 1, Integer.MAX_VALUE}) {
            assertThatThrownBy(() -> NodeRegistered.decode(registeredBody(count)))
                    .as("count %d", count)
                    .isInstanceOfSatisfying(RememException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_FRAME);
                        assertThat(e.detail()).contains("registered.keepCount");
                    });
        }
        assertCode(() -> NodeRegistered.decode(registeredBody(3, 1, 2)), ErrorCode.MALFORMED_FRAME);
        assertCode(() -> NodeRegistered.decode(registeredBody(1, 1, 2)), ErrorCode.MALFORMED_FRAME);
        // The old layout: no keep count at all.
        assertCode(() -> NodeRegistered.decode(Unpooled.buffer().writeLong(3).writeLong(1000)), ErrorCode.MALFORMED_FRAME);
    }

    // ---------------------------------------------------------------- SLAB_SYNC

    /** A SLAB_SYNC body written field by field, so that it can carry values the record refuses to hold. */
    private static ByteBuf slabSyncBody(long size, String tenant, long epoch, long sourceNode, String sourceHost,
            int sourcePort) {
        ByteBuf b = Unpooled.buffer().writeLong(size);
        Bodies.writeString(b, tenant);
        b.writeLong(epoch).writeLong(sourceNode);
        Bodies.writeString(b, sourceHost);
        b.writeShort(sourcePort);
        Bodies.writeBytes(b, new byte[0]); // no capability
        return b;
    }

    @Test
    void slabSyncBodyHelperMatchesTheRecordsEncoding() {
        ByteBuf viaRecord = Unpooled.buffer();
        sync(1 << 20, "acme", 7, new Replica(2, "n", 7000)).encode(viaRecord);
        assertThat(ByteBufUtil.hexDump(slabSyncBody(1 << 20, "acme", 7, 2, "n", 7000)))
                .isEqualTo(ByteBufUtil.hexDump(viaRecord));
    }

    @Test
    void slabSyncWithAnInvalidTenantIsAnInvalidArgument() {
        for (String bad : new String[] {"", "-acme", "no spaces"}) {
            ByteBuf b = slabSyncBody(1 << 20, bad, 1, 1, "n", 7000);
            assertThatThrownBy(() -> SlabSync.decode(b))
                    .as("tenant '%s'", bad)
                    .isInstanceOfSatisfying(RememException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        }
    }

    @Test
    void slabSyncWithANegativeSizeOrEpochIsMalformed() {
        ByteBuf size = slabSyncBody(-1, "acme", 1, 1, "n", 7000);
        assertThatThrownBy(() -> SlabSync.decode(size))
                .isInstanceOfSatisfying(RememException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_FRAME);
                    assertThat(e.detail()).contains("slabSync.size");
                });
        ByteBuf epoch = slabSyncBody(1 << 20, "acme", -1, 1, "n", 7000);
        assertThatThrownBy(() -> SlabSync.decode(epoch))
                .isInstanceOfSatisfying(RememException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_FRAME);
                    assertThat(e.detail()).contains("slabSync.epoch");
                });
    }

    @Test
    void slabSyncOfSizeZeroIsMalformed() {
        assertCode(() -> SlabSync.decode(slabSyncBody(0, "acme", 1, 1, "n", 7000)), ErrorCode.MALFORMED_FRAME);
    }

    @Test
    void slabSyncAtTheEdgesOfItsFieldsDecodes() {
        SlabSync smallest = SlabSync.decode(slabSyncBody(1, "a", 0, 0, "", 1));
        assertThat(smallest).usingRecursiveComparison().isEqualTo(sync(1, "a", 0, new Replica(0, "", 1)));
        SlabSync largest = SlabSync.decode(slabSyncBody(Long.MAX_VALUE, "a".repeat(64), Long.MAX_VALUE,
                Long.MAX_VALUE, "h", 65535));
        assertThat(largest.size()).isEqualTo(Long.MAX_VALUE);
        assertThat(largest.epoch()).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void slabSyncConstructorRejectsANonPositiveSizeANegativeEpochOrNoSource() {
        Replica source = new Replica(1, "n", 7000);
        for (long size : new long[] {0, -1, Long.MIN_VALUE}) {
            assertThatThrownBy(() -> sync(size, "acme", 1, source))
                    .as("size %d", size)
                    .isInstanceOfSatisfying(RememException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_FRAME));
        }
        for (long epoch : new long[] {-1, Long.MIN_VALUE}) {
            assertThatThrownBy(() -> sync(1 << 20, "acme", epoch, source))
                    .as("epoch %d", epoch)
                    .isInstanceOfSatisfying(RememException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_FRAME));
        }
        assertCode(() -> sync(1 << 20, "acme", 1, null), ErrorCode.MALFORMED_FRAME);
        // The edges themselves are valid.
        assertThat(sync(1, "acme", 0, source).size()).isEqualTo(1);
    }

    @Test
    void slabSyncConstructorRejectsAnInvalidTenantAsAnInvalidArgument() {
        Replica source = new Replica(1, "n", 7000);
        for (String bad : new String[] {"", "-acme", "no spaces", "a".repeat(65)}) {
            assertThatThrownBy(() -> sync(1 << 20, bad, 1, source))
                    .as("tenant '%s'", bad)
                    .isInstanceOfSatisfying(RememException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        }
        assertCode(() -> sync(1 << 20, null, 1, source), ErrorCode.INVALID_ARGUMENT);
    }

    @Test
    void slabSyncFromASourceOnPortZeroIsMalformed() {
        ByteBuf b = Unpooled.buffer().writeLong(1 << 20);
        Bodies.writeString(b, "acme");
        b.writeLong(1).writeLong(1);
        Bodies.writeString(b, "n");
        b.writeShort(0);
        assertThatThrownBy(() -> SlabSync.decode(b))
                .isInstanceOfSatisfying(RememException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_FRAME);
                    assertThat(e.detail()).contains("replica.port");
                });
    }
}
