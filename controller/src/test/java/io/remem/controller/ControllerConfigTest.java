package io.remem.controller;

import io.remem.protocol.ErrorCode;
import io.remem.protocol.Limits;
import io.remem.protocol.RememException;
import io.remem.transport.HostPort;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.ThrowableAssert.ThrowingCallable;

class ControllerConfigTest {
    private static final HostPort LISTEN = new HostPort("127.0.0.1", 0);
    private static final Path DATA = Path.of("/tmp/remem-controller-config-test-never-created");

    private static ControllerConfig base() {
        return new ControllerConfig(LISTEN, DATA);
    }

    private static void assertInvalid(ThrowingCallable call, String... fragments) {
        var t = assertThatThrownBy(call)
                .isInstanceOfSatisfying(RememException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
        for (String f : fragments) {
            t.hasMessageContaining(f);
        }
    }

    @Test
    void defaults() {
        ControllerConfig c = base();
        assertThat(c.listen()).isEqualTo(LISTEN);
        assertThat(c.dataDir()).isEqualTo(DATA);
        assertThat(c.slabShift()).isEqualTo(26);
        assertThat(c.slabSize()).isEqualTo(64L << 20);
        assertThat(c.heartbeatInterval()).isEqualTo(Duration.ofSeconds(1));
        assertThat(c.nodeTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.defaultQuota()).isEqualTo(1L << 40);
        assertThat(c.quotas()).isEmpty();
        assertThat(c.callTimeout()).isPositive();
    }

    @Test
    void aNullDataDirectoryIsRejected() {
        assertInvalid(() -> new ControllerConfig(LISTEN, null), "data directory");
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, 0, 19, 33, 63, 64})
    void aSlabShiftOutOfRangeIsRejected(int shift) {
        assertInvalid(() -> base().withSlabShift(shift), "2^" + shift);
    }

    @ParameterizedTest
    @ValueSource(ints = {20, 21, 26, 31, 32})
    void aSlabShiftInRangeIsAccepted(int shift) {
        ControllerConfig c = base().withSlabShift(shift);
        assertThat(c.slabShift()).isEqualTo(shift);
        assertThat(c.slabSize()).isEqualTo(1L << shift);
        assertThat(shift).isBetween(Limits.MIN_SLAB_SHIFT, Limits.MAX_SLAB_SHIFT);
    }

    @Test
    void aNodeTimeoutShorterThanTwoHeartbeatsIsRejected() {
        assertInvalid(() -> base().withHeartbeat(Duration.ofMillis(500), Duration.ofMillis(999)), "node timeout");
        assertInvalid(() -> base().withHeartbeat(Duration.ofSeconds(1), Duration.ofMillis(1999)), "twice the heartbeat");
        assertInvalid(() -> base().withHeartbeat(Duration.ofSeconds(1), Duration.ofSeconds(1)));
        assertInvalid(() -> base().withHeartbeat(Duration.ofSeconds(1), Duration.ZERO));
    }

    @Test
    void aNodeTimeoutOfTwoHeartbeatsOrMoreIsAccepted() {
        ControllerConfig c = base().withHeartbeat(Duration.ofMillis(250), Duration.ofMillis(500));
        assertThat(c.heartbeatInterval()).isEqualTo(Duration.ofMillis(250));
        assertThat(c.nodeTimeout()).isEqualTo(Duration.ofMillis(500));
        assertThat(base().withHeartbeat(Duration.ofMillis(250), Duration.ofMinutes(1)).nodeTimeout())
                .isEqualTo(Duration.ofMinutes(1));
    }

    @Test
    void aHeartbeatIntervalThatIsNotPositiveIsRejected() {
        assertInvalid(() -> base().withHeartbeat(Duration.ZERO, Duration.ofSeconds(5)), "heartbeat interval");
        assertInvalid(() -> base().withHeartbeat(Duration.ofMillis(-1), Duration.ofSeconds(5)), "heartbeat interval");
    }

    @Test
    void negativeQuotasAreRejected() {
        assertInvalid(() -> base().withQuotas(-1, Map.of()), "default quota");
        assertInvalid(() -> base().withQuotas(10, Map.of("tenant-a", 5L, "tenant-b", -1L)), "tenant-b");
    }

    @Test
    void zeroQuotasAreAllowed() {
        ControllerConfig c = base().withQuotas(0, Map.of("tenant-a", 0L));
        assertThat(c.quotaOf("tenant-a")).isZero();
        assertThat(c.quotaOf("anyone")).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "has space", "-leading-dash", ".dot", "slash/ed", "ü",
            // 65 characters, one more than allowed
            "a1234567890123456789012345678901234567890123456789012345678901234"})
    void anInvalidTenantNameInTheQuotasIsRejected(String tenant) {
        assertInvalid(() -> base().withQuotas(10, Map.of(tenant, 5L)), "tenant name");
    }

    @Test
    void validTenantNamesInTheQuotasAreAccepted() {
        String longest = "a123456789012345678901234567890123456789012345678901234567890123"; // 64 characters
        ControllerConfig c = base().withQuotas(10, Map.of(longest, 1L, "A.b_c-9", 2L, "0", 3L));
        assertThat(c.quotaOf(longest)).isEqualTo(1);
        assertThat(c.quotaOf("A.b_c-9")).isEqualTo(2);
        assertThat(c.quotaOf("0")).isEqualTo(3);
    }

    @Test
    void quotaOfFallsBackToTheDefault() {
        ControllerConfig c = base().withQuotas(1000, Map.of("small", 10L, "big.one", 1L << 50));
        assertThat(c.quotaOf("small")).isEqualTo(10);
        assertThat(c.quotaOf("big.one")).isEqualTo(1L << 50);
        assertThat(c.quotaOf("other")).isEqualTo(1000);
        assertThat(base().quotaOf("anyone")).isEqualTo(ControllerConfig.DEFAULT_QUOTA);
    }

    @Test
    void theQuotasMapIsCopied() {
        Map<String, Long> quotas = new HashMap<>(Map.of("a", 1L));
        ControllerConfig c = base().withQuotas(7, quotas);
        quotas.put("a", 99L);
        quotas.put("b", 99L);
        assertThat(c.quotaOf("a")).isEqualTo(1);
        assertThat(c.quotaOf("b")).isEqualTo(7);
    }

    @Test
    void withersChangeOnlyWhatTheyName() {
        ControllerConfig c = base()
                .withQuotas(5, Map.of("t", 3L))
                .withSlabShift(22)
                .withHeartbeat(Duration.ofMillis(100), Duration.ofMillis(300));
        assertThat(c.listen()).isEqualTo(LISTEN);
        assertThat(c.dataDir()).isEqualTo(DATA);
        assertThat(c.slabShift()).isEqualTo(22);
        assertThat(c.heartbeatInterval()).isEqualTo(Duration.ofMillis(100));
        assertThat(c.nodeTimeout()).isEqualTo(Duration.ofMillis(300));
        assertThat(c.defaultQuota()).isEqualTo(5);
        assertThat(c.quotas()).containsExactly(Map.entry("t", 3L));
        assertThat(c.callTimeout()).isEqualTo(base().callTimeout());
    }
}
