package io.remem.client;

/** How the local cache chooses which block to evict. */
public enum EvictionPolicy {
    /**
     * Second chance: a hand sweeps the frames; a block used since the hand last passed is spared once. Costs one
     * byte store on the first access after each pass. The default.
     */
    CLOCK,
    /** First in, first out: blocks leave in the order they came in, however hot they are. Costs nothing on a hit. */
    FIFO,
    /**
     * Least recently used, approximated by the oldest of up to 16 candidates. Every access stores a shared
     * sequence number, which is what made LRU lose to FIFO in LegoOS: offered for comparison.
     */
    LRU
}
