package io.remem.controller;

import io.remem.protocol.ErrorCode;
import io.remem.protocol.Limits;
import io.remem.protocol.RememException;
import io.remem.transport.HostPort;
import io.remem.transport.ServerLimits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.time.Duration;

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
        assertThat(c.defaultQuota()).isEqualTo(1L << 40).isEqualTo(ControllerConfig.DEFAULT_QUOTA);
        assertThat(c.callTimeout()).isPositive();
        assertThat(c.tokenTtl()).isEqualTo(Duration.ofMinutes(15)).isEqualTo(ControllerConfig.DEFAULT_TOKEN_TTL);
        assertThat(c.clusterSecretFile()).isNull();
        assertThat(c.limits()).isEqualTo(ServerLimits.DEFAULTS);
        assertThat(c.tls()).isNull();
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
    void aNegativeDefaultQuotaIsRejected() {
        assertInvalid(() -> base().withDefaultQuota(-1), "default quota");
        assertInvalid(() -> base().withDefaultQuota(Long.MIN_VALUE), "default quota");
    }

    @Test
    void aZeroDefaultQuotaIsAllowed() {
        // A cluster where every tenant must be given its quota when it is added.
        assertThat(base().withDefaultQuota(0).defaultQuota()).isZero();
        assertThat(base().withDefaultQuota(Long.MAX_VALUE).defaultQuota()).isEqualTo(Long.MAX_VALUE);
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 1, 9_999, 86_400_001, Long.MAX_VALUE})
    void aTokenLifetimeOutsideTenSecondsToADayIsRejected(long millis) {
        assertInvalid(() -> base().withTokenTtl(Duration.ofMillis(millis)), "token lifetime", "10s..24h");
    }

    @Test
    void aNegativeTokenLifetimeIsRejected() {
        assertInvalid(() -> base().withTokenTtl(Duration.ofSeconds(-30)), "token lifetime");
    }

    @ParameterizedTest
    @ValueSource(longs = {10_000, 10_001, 900_000, 86_399_999, 86_400_000})
    void aTokenLifetimeFromTenSecondsToADayIsAccepted(long millis) {
        assertThat(base().withTokenTtl(Duration.ofMillis(millis)).tokenTtl()).isEqualTo(Duration.ofMillis(millis));
    }

    @Test
    void theLeaseTimeoutDefaultsToThirtySeconds() {
        assertThat(base().leaseTimeout()).isEqualTo(Duration.ofSeconds(30)).isEqualTo(ControllerConfig.DEFAULT_LEASE_TIMEOUT);
    }

    @ParameterizedTest
    @ValueSource(longs = {-1, 0, 999, 604_800_001})
    void aLeaseTimeoutOutsideASecondToAWeekIsRejected(long millis) {
        assertInvalid(() -> base().withLeaseTimeout(Duration.ofMillis(millis)), "lease timeout", "1s..7d");
    }

    @ParameterizedTest
    @ValueSource(longs = {1_000, 30_000, 604_800_000})
    void aLeaseTimeoutFromASecondToAWeekIsAccepted(long millis) {
        assertThat(base().withLeaseTimeout(Duration.ofMillis(millis)).leaseTimeout()).isEqualTo(Duration.ofMillis(millis));
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, 0, (1 << 20) + 1})
    void aLeaseLimitOutsideItsRangeIsRejected(int max) {
        assertInvalid(() -> base().withMaxLeasesPerTenant(max), "max leases per tenant");
    }

    @Test
    void theSecretFilesLiveInTheDataDirectoryUnlessTheClusterSecretIsGivenElsewhere() {
        assertThat(base().adminSecretFile()).isEqualTo(DATA.resolve(ControllerConfig.ADMIN_SECRET));
        assertThat(base().effectiveClusterSecretFile()).isEqualTo(DATA.resolve(ControllerConfig.CLUSTER_SECRET));
        Path shared = Path.of("/etc/remem/cluster.secret");
        ControllerConfig c = base().withClusterSecretFile(shared);
        assertThat(c.effectiveClusterSecretFile()).isEqualTo(shared);
        // The admin secret is the controller's own: it stays in the data directory.
        assertThat(c.adminSecretFile()).isEqualTo(DATA.resolve(ControllerConfig.ADMIN_SECRET));
    }

    @Test
    void withersChangeOnlyWhatTheyName() {
        Path secret = Path.of("/etc/remem/cluster.secret");
        ServerLimits limits = ServerLimits.DEFAULTS.withMaxConnections(7);
        ControllerConfig c = base()
                .withDefaultQuota(5)
                .withSlabShift(22)
                .withHeartbeat(Duration.ofMillis(100), Duration.ofMillis(300))
                .withTokenTtl(Duration.ofMinutes(3))
                .withClusterSecretFile(secret)
                .withLimits(limits)
                .withLeaseTimeout(Duration.ofSeconds(9))
                .withMaxLeasesPerTenant(12);
        assertThat(c.listen()).isEqualTo(LISTEN);
        assertThat(c.dataDir()).isEqualTo(DATA);
        assertThat(c.slabShift()).isEqualTo(22);
        assertThat(c.heartbeatInterval()).isEqualTo(Duration.ofMillis(100));
        assertThat(c.nodeTimeout()).isEqualTo(Duration.ofMillis(300));
        assertThat(c.defaultQuota()).isEqualTo(5);
        assertThat(c.tokenTtl()).isEqualTo(Duration.ofMinutes(3));
        assertThat(c.clusterSecretFile()).isEqualTo(secret);
        assertThat(c.limits()).isEqualTo(limits);
        assertThat(c.tls()).isNull();
        assertThat(c.callTimeout()).isEqualTo(base().callTimeout());
        assertThat(c.leaseTimeout()).isEqualTo(Duration.ofSeconds(9));
        assertThat(c.maxLeasesPerTenant()).isEqualTo(12);
        // Each wither keeps what the others set.
        assertThat(c.withSlabShift(23)).isEqualTo(new ControllerConfig(LISTEN, DATA, 23, Duration.ofMillis(100),
                Duration.ofMillis(300), 5, base().callTimeout(), Duration.ofMinutes(3), secret, limits, null,
                Duration.ofSeconds(9), 12));
    }
}
