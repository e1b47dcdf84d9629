package io.remem.transport;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SpinGateTest {
    @Test
    void oneCpuNeverSpinsTheAnswerNeedsIt() {
        SpinGate gate = new SpinGate(1);
        gate.enter();
        assertThat(gate.maySpin()).isFalse();
    }

    @Test
    void theOneWaiterOfAProcessWithCpusToSpareSpins() {
        SpinGate gate = new SpinGate(2);
        gate.enter();
        assertThat(gate.maySpin()).isTrue();
    }

    @Test
    void aSecondWaiterStopsSpinningUntilItIsAloneAgain() {
        SpinGate gate = new SpinGate(8);
        gate.enter();
        gate.enter();
        assertThat(gate.maySpin()).as("two waiters: a loaded process").isFalse();
        gate.exit();
        assertThat(gate.maySpin()).isTrue();
    }
}
