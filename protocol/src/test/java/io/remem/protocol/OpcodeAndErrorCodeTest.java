package io.remem.protocol;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OpcodeAndErrorCodeTest {

    @Test
    void opcodeCodesAreUniqueAndFitInAByte() {
        Set<Integer> seen = new HashSet<>();
        for (Opcode op : Opcode.values()) {
            assertThat(seen.add(op.code())).as("%s reuses 0x%x", op, op.code()).isTrue();
            assertThat(op.code()).isBetween(1, 255);
        }
    }

    @Test
    void opcodeOfCodeMapsEveryCodeBack() {
        for (Opcode op : Opcode.values()) {
            assertThat(Opcode.ofCode(op.code())).isSameAs(op);
        }
    }

    @Test
    void opcodeWireCodesAreFixed() {
        assertThat(Opcode.HELLO.code()).isEqualTo(0x01);
        assertThat(Opcode.PING.code()).isEqualTo(0x02);
        assertThat(Opcode.READ.code()).isEqualTo(0x10);
        assertThat(Opcode.WRITEV.code()).isEqualTo(0x11);
        assertThat(Opcode.CAS.code()).isEqualTo(0x12);
        assertThat(Opcode.FAA.code()).isEqualTo(0x13);
        assertThat(Opcode.WRITEV_READ.code()).isEqualTo(0x14);
        assertThat(Opcode.SLAB_EPOCH.code()).isEqualTo(0x15);
        assertThat(Opcode.SLAB_CREATE.code()).isEqualTo(0x20);
        assertThat(Opcode.SLAB_DELETE.code()).isEqualTo(0x21);
        assertThat(Opcode.SLAB_FENCE.code()).isEqualTo(0x22);
        assertThat(Opcode.SLAB_SYNC.code()).isEqualTo(0x23);
        assertThat(Opcode.REPLICA_READ.code()).isEqualTo(0x24);
        assertThat(Opcode.NODE_REGISTER.code()).isEqualTo(0x30);
        assertThat(Opcode.NODE_HEARTBEAT.code()).isEqualTo(0x31);
        assertThat(Opcode.CLUSTER_INFO.code()).isEqualTo(0x40);
        assertThat(Opcode.SLAB_ALLOC.code()).isEqualTo(0x41);
        assertThat(Opcode.SLAB_FREE.code()).isEqualTo(0x42);
        assertThat(Opcode.SLAB_LOOKUP.code()).isEqualTo(0x43);
        assertThat(Opcode.STATUS.code()).isEqualTo(0x44);
        assertThat(Opcode.NODE_SUSPECT.code()).isEqualTo(0x45);
        assertThat(Opcode.NODE_DRAIN.code()).isEqualTo(0x46);
    }

    @Test
    void opcodeAudiences() {
        assertThat(Opcode.HELLO.audience()).isEqualTo(Opcode.Audience.ANY);
        assertThat(Opcode.READ.audience()).isEqualTo(Opcode.Audience.MEMORY_NODE);
        assertThat(Opcode.SLAB_CREATE.audience()).isEqualTo(Opcode.Audience.MEMORY_NODE);
        assertThat(Opcode.SLAB_ALLOC.audience()).isEqualTo(Opcode.Audience.CONTROLLER);
        assertThat(Opcode.NODE_REGISTER.audience()).isEqualTo(Opcode.Audience.CONTROLLER);
        assertThat(Opcode.SLAB_EPOCH.audience()).isEqualTo(Opcode.Audience.MEMORY_NODE);
        assertThat(Opcode.SLAB_FENCE.audience()).isEqualTo(Opcode.Audience.MEMORY_NODE);
        assertThat(Opcode.SLAB_SYNC.audience()).isEqualTo(Opcode.Audience.MEMORY_NODE);
        assertThat(Opcode.REPLICA_READ.audience()).isEqualTo(Opcode.Audience.MEMORY_NODE);
        assertThat(Opcode.NODE_SUSPECT.audience()).isEqualTo(Opcode.Audience.CONTROLLER);
        assertThat(Opcode.NODE_DRAIN.audience()).isEqualTo(Opcode.Audience.CONTROLLER);
        assertThat(Opcode.LEASE_RENEW.audience()).isEqualTo(Opcode.Audience.CONTROLLER);
        assertThat(Opcode.LEASE_CLOSE.audience()).isEqualTo(Opcode.Audience.CONTROLLER);
        assertThat(Opcode.LEASE_RENEW.code()).isEqualTo(0x4A);
        assertThat(Opcode.LEASE_CLOSE.code()).isEqualTo(0x4B);
    }

    @Test
    void unknownOpcodesAreNull() {
        for (int code : new int[] {0x00, 0x04, 0x17, 0x25, 0x4D, 0x65, 0xFF, 0x100, -1, Integer.MIN_VALUE, Integer.MAX_VALUE}) {
            assertThat(Opcode.ofCode(code)).as("code %d", code).isNull();
        }
    }

    @Test
    void errorCodesAreUnique() {
        Set<Integer> seen = new HashSet<>();
        for (ErrorCode e : ErrorCode.values()) {
            assertThat(seen.add(e.code())).as("%s reuses %d", e, e.code()).isTrue();
            assertThat(e.summary()).isNotBlank();
        }
    }

    @Test
    void errorCodeOfCodeMapsEveryCodeBack() {
        for (ErrorCode e : ErrorCode.values()) {
            assertThat(ErrorCode.ofCode(e.code())).isSameAs(e);
        }
    }

    @Test
    void errorWireCodesAreFixed() {
        assertThat(ErrorCode.OK.code()).isZero();
        assertThat(ErrorCode.MALFORMED_FRAME.code()).isEqualTo(1);
        assertThat(ErrorCode.UNSUPPORTED_VERSION.code()).isEqualTo(2);
        assertThat(ErrorCode.UNKNOWN_OPCODE.code()).isEqualTo(3);
        assertThat(ErrorCode.TOO_LARGE.code()).isEqualTo(15);
        assertThat(ErrorCode.INVALID_ARGUMENT.code()).isEqualTo(16);
        assertThat(ErrorCode.INTERNAL.code()).isEqualTo(18);
        assertThat(ErrorCode.STALE_MAP.code()).isEqualTo(19);
        assertThat(ErrorCode.REPLICA_NOT_READY.code()).isEqualTo(20);
        assertThat(ErrorCode.LEASE_EXPIRED.code()).isEqualTo(25);
        assertThat(ErrorCode.TIMEOUT.code()).isEqualTo(100);
        assertThat(ErrorCode.CONNECTION_CLOSED.code()).isEqualTo(101);
    }

    @Test
    void unknownErrorCodesAreReportedAsInternal() {
        for (int code : new int[] {29, 99, 102, 127, 128, 255, 65536, -1, Integer.MIN_VALUE, Integer.MAX_VALUE}) {
            assertThat(ErrorCode.ofCode(code)).as("code %d", code).isEqualTo(ErrorCode.INTERNAL);
        }
    }

    @Test
    void roleCodesRoundTripAndUnknownRolesAreMalformed() {
        for (Role role : Role.values()) {
            assertThat(Role.ofCode(role.code())).isSameAs(role);
        }
        assertThat(Role.ofCode(1)).isEqualTo(Role.CLIENT);
        assertThat(Role.ofCode(2)).isEqualTo(Role.MEMORY_NODE);
        assertThat(Role.ofCode(3)).isEqualTo(Role.REPLICA);
        assertThat(Role.ofCode(4)).isEqualTo(Role.ADMIN);
        for (int code : new int[] {0, 5, 255}) {
            assertThatThrownBy(() -> Role.ofCode(code))
                    .isInstanceOfSatisfying(RememException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_FRAME));
        }
    }

    @Test
    void rememExceptionPrefixesTheCodeButDetailDoesNot() {
        RememException e = new RememException(ErrorCode.NO_SUCH_SLAB, "slab 7");
        assertThat(e.getMessage()).isEqualTo("NO_SUCH_SLAB: slab 7");
        assertThat(e.detail()).isEqualTo("slab 7");
        assertThat(RememException.malformed("x").code()).isEqualTo(ErrorCode.MALFORMED_FRAME);
    }
}
