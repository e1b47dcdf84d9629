package io.remem.client;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every invalid option is refused by {@code build()}, and the error names it. */
class RememOptionsTest {
    @Test
    void spinWaitDefaultsToAHundredMicrosecondsAndSurvivesToBuilder() {
        RememOptions o = RememOptions.defaults();
        assertThat(o.spinWait()).isEqualTo(Duration.ofNanos(100_000));
        RememOptions off = o.toBuilder().spinWait(Duration.ZERO).build();
        assertThat(off.spinWait()).isZero();
        assertThat(off.toBuilder().build().spinWait()).isZero();
        assertThat(off.toString()).contains("spinWait=PT0S");
    }

    @Test
    void spinWaitOutsideZeroToAMillisecondIsRefusedByName() {
        for (Duration bad : new Duration[] {null, Duration.ofNanos(-1), Duration.ofMillis(1).plusNanos(1)}) {
            assertThatThrownBy(() -> RememOptions.builder().spinWait(bad).build())
                    .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("spinWait: ");
        }
        assertThat(RememOptions.builder().spinWait(Duration.ofMillis(1)).build().spinWait()).isEqualTo(Duration.ofMillis(1));
    }

    @Test
    void otherBadValuesAreNamedToo() {
        assertThatThrownBy(() -> RememOptions.builder().prefetchWindow(-1).build()).hasMessageStartingWith("prefetchWindow: ");
        assertThatThrownBy(() -> RememOptions.builder().ioThreads(0).build()).hasMessageStartingWith("ioThreads: ");
        assertThatThrownBy(() -> RememOptions.builder().watermarks(0.5, 0.1).build()).hasMessageStartingWith("watermarks: ");
        assertThatThrownBy(() -> RememOptions.builder().requestTimeout(Duration.ZERO).build())
                .hasMessageStartingWith("requestTimeout: ");
    }
}
