package io.remem.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
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
            slabs.add(new SlabDescriptor(first + i, nonNegativeLong(r), replicas));
        }
        return new SlabRun(slabs);
    }

    static ClusterStatus clusterStatus(SplittableRandom r) {
        List<ClusterStatus.Node> nodes = new ArrayList<>();
        for (int i = r.nextInt(5); i > 0; i--) {
            nodes.add(new ClusterStatus.Node(nonNegativeLong(r), anyString(r, 0, 20), port(r), r.nextBoolean(),
                    nonNegativeLong(r), nonNegativeLong(r), nonNegativeLong(r), nonNegativeInt(r), nonNegativeLong(r)));
        }
        List<ClusterStatus.Tenant> tenants = new ArrayList<>();
        for (int i = r.nextInt(5); i > 0; i--) {
            tenants.add(new ClusterStatus.Tenant(anyString(r, 0, 20), nonNegativeLong(r), nonNegativeLong(r),
                    nonNegativeInt(r)));
        }
        return new ClusterStatus(Limits.MIN_SLAB_SHIFT + r.nextInt(Limits.MAX_SLAB_SHIFT - Limits.MIN_SLAB_SHIFT + 1), nodes, tenants);
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
                new Codec<Hello>("Hello", r -> r.nextBoolean()
                        ? new Hello(r.nextInt(65536), Role.CLIENT, tenant(r), r.nextInt())
                        : new Hello(r.nextInt(65536), Role.MEMORY_NODE, anyString(r, 0, 30), r.nextInt()),
                        Hello::encode, Hello::decode),
                new Codec<HelloAck>("HelloAck", r -> new HelloAck(r.nextInt(65536), r.nextInt(), anyString(r, 0, 40)),
                        HelloAck::encode, HelloAck::decode),
                new Codec<NodeRegister>("NodeRegister",
                        r -> new NodeRegister(nonNegativeLong(r), anyString(r, 1, 40), port(r), nonNegativeLong(r)),
                        NodeRegister::encode, NodeRegister::decode),
                new Codec<NodeRegistered>("NodeRegistered",
                        r -> new NodeRegistered(nonNegativeLong(r), nonNegativeLong(r)),
                        NodeRegistered::encode, NodeRegistered::decode),
                new Codec<NodeHeartbeat>("NodeHeartbeat",
                        r -> new NodeHeartbeat(nonNegativeLong(r), nonNegativeLong(r), nonNegativeLong(r), nonNegativeInt(r)),
                        NodeHeartbeat::encode, NodeHeartbeat::decode),
                new Codec<SlabCreate>("SlabCreate", r -> new SlabCreate(nonNegativeLong(r), tenant(r)),
                        SlabCreate::encode, SlabCreate::decode),
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
            assertThat(decoded).as("value #%d", i).isEqualTo(value);
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
        ByteBuf b = Unpooled.buffer();
        new Hello(1, Role.CLIENT, "acme").encode(b);
        assertThat(ByteBufUtil.hexDump(b)).isEqualTo("0001" + "01" + "0004" + "61636d65" + "00000000");
        ByteBuf fence = Unpooled.buffer();
        new Hello(1, Role.CLIENT, "acme", 0x01020304).encode(fence);
        assertThat(ByteBufUtil.hexDump(fence)).endsWith("01020304");
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
        new NodeRegister(7, "h", 7070, 1L << 30).encode(b);
        assertThat(ByteBufUtil.hexDump(b)).isEqualTo("0000000000000007" + "0001" + "68" + "1b9e" + "0000000040000000");
    }

    @Test
    void slabRunGoldenEncoding() {
        ByteBuf b = Unpooled.buffer();
        new SlabRun(List.of(new SlabDescriptor(5, 1 << 20, List.of(new Replica(9, "n", 80))))).encode(b);
        assertThat(ByteBufUtil.hexDump(b)).isEqualTo("00000001"
                + "0000000000000005" + "0000000000100000" + "01"
                + "0000000000000009" + "0001" + "6e" + "0050");
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
            new Hello(1, Role.CLIENT, bad).encode(b);
            assertThatThrownBy(() -> Hello.decode(b))
                    .as("tenant '%s'", bad)
                    .isInstanceOfSatisfying(RememException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        }
    }

    @Test
    void helloFromAMemoryNodeDoesNotNeedATenant() {
        ByteBuf b = Unpooled.buffer();
        new Hello(1, Role.MEMORY_NODE, "").encode(b);
        assertThat(Hello.decode(b)).isEqualTo(new Hello(1, Role.MEMORY_NODE, ""));
    }

    @Test
    void helloWithAnUnknownRoleIsMalformed() {
        ByteBuf b = Unpooled.buffer();
        b.writeShort(1);
        b.writeByte(3);
        Bodies.writeString(b, "acme");
        assertCode(() -> Hello.decode(b), ErrorCode.MALFORMED_FRAME);
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
                    .as("ids %s", java.util.Arrays.toString(ids))
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
        assertCode(() -> new NodeRegister(0, "host", 0, 1), ErrorCode.MALFORMED_FRAME);
        assertThatThrownBy(() -> NodeRegister.decode(b))
                .isInstanceOfSatisfying(RememException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_FRAME);
                    assertThat(e.detail()).contains("register.port");
                });
    }

    @Test
    void nodeRegisterWithAnEmptyHostIsMalformed() {
        ByteBuf b = Unpooled.buffer();
        new NodeRegister(0, "", 7000, 1).encode(b);
        assertCode(() -> NodeRegister.decode(b), ErrorCode.MALFORMED_FRAME);
    }

    @Test
    void nodeRegisterWithNegativeCapacityIsMalformed() {
        ByteBuf b = Unpooled.buffer();
        new NodeRegister(0, "h", 7000, -5).encode(b);
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

    @Test
    void clusterStatusNodeAliveIsAnyNonZeroByte() {
        ByteBuf b = Unpooled.buffer();
        b.writeByte(26);
        b.writeInt(1);
        b.writeLong(1);
        Bodies.writeString(b, "h");
        b.writeShort(7000);
        b.writeByte(0x7F);
        b.writeLong(10).writeLong(5).writeLong(6).writeInt(2).writeLong(100);
        b.writeInt(0);
        ClusterStatus status = ClusterStatus.decode(b);
        assertThat(status.nodes()).containsExactly(new ClusterStatus.Node(1, "h", 7000, true, 10, 5, 6, 2, 100));
        assertThat(status.nodes().getFirst().address()).isEqualTo("h:7000");
        assertThat(status.tenants()).isEmpty();
        assertThat(status.slabSize()).isEqualTo(64L << 20);
    }
}
