package io.remem.testkit;

import io.remem.protocol.RememException;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;

/** Waiting with deadlines, so a broken implementation fails a test instead of hanging the build. */
public final class Await {
    private Await() {}

    public static <T> T result(CompletableFuture<T> f, Duration within) throws InterruptedException {
        try {
            return f.get(within.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError("expected success but the call failed with " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new AssertionError("call did not complete within " + within);
        }
    }

    /** The RememException {@code f} fails with; fails the test if it succeeds or does not complete in time. */
    public static RememException failure(CompletableFuture<?> f, Duration within) throws InterruptedException {
        Object value;
        try {
            value = f.get(within.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RememException re) {
                return re;
            }
            throw new AssertionError("expected a RememException but got " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new AssertionError("call did not complete within " + within);
        }
        throw new AssertionError("expected the call to fail but it returned " + value);
    }

    public static void until(BooleanSupplier condition, Duration within, String what) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + within + " waiting for: " + what);
            }
            Thread.sleep(5);
        }
    }
}
