package io.remem.examples;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** Every example runs as a user would run it, against a cluster of its own, and checks its own answers. */
class ExamplesTest {
    /** Runs {@code main} with no arguments and returns what it printed; an example that finds a wrong answer throws. */
    private static String run(ThrowingMain main) throws Exception {
        PrintStream out = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            main.run(new String[0]);
        } finally {
            System.setOut(out);
        }
        String printed = captured.toString(StandardCharsets.UTF_8);
        out.print(printed);
        return printed;
    }

    @FunctionalInterface
    private interface ThrowingMain {
        void run(String[] args) throws Exception;
    }

    @Test
    void helloFarMemoryReadsBackEveryWordThroughASmallCache() throws Exception {
        assertThat(run(HelloFarMemory::main)).contains("0 mismatches");
    }

    @Test
    void farMapCacheSparesTheSlowStoreAndLoadsEachEntryOnce() throws Exception {
        assertThat(run(FarMapCache::main)).contains("0 wrong answers");
    }

    @Test
    void offloadScanAgreesNearAndPulled() throws Exception {
        assertThat(run(OffloadScan::main)).containsPattern("NEAR: sum \\d+").containsPattern("PULL: sum \\d+");
    }
}
