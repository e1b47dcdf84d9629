package io.remem.client;

/**
 * The answer of {@link Offload#chase}: the far address of the node holding the key (0 if none does), its first
 * bytes, and how many nodes were visited.
 */
public record Chased(long address, byte[] node, long hops) {
    public boolean found() {
        return address != 0;
    }
}
