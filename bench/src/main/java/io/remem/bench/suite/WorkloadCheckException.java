package io.remem.bench.suite;

/** A workload read back something other than what it wrote: the run's numbers are void. */
public final class WorkloadCheckException extends Exception {
    public WorkloadCheckException(String message) {
        super(message);
    }
}
