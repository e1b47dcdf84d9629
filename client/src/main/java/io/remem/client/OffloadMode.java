package io.remem.client;

/** Where an operation offered by {@link Offload} runs. */
public enum OffloadMode {
    /**
     * remem decides: pull when the data is in the local cache already (nothing crosses the network), otherwise run
     * at the memory node. See docs/benchmarks.md for the measurements behind the rule.
     */
    AUTO,
    /**
     * At the memory node that holds the data (Clio's extend path): one round trip per memory node touched, and
     * only the answer crosses the network. Dirty cached data in the range is written back first.
     */
    NEAR,
    /** Pull the data into the local cache and compute here: every byte crosses the network once, then stays cached. */
    PULL
}
