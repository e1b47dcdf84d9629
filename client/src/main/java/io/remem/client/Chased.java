package io.remem.client;

/**
 * The answer of {@link Offload#chase}: the far address of the node holding the key (0 if none does), its first
 * bytes, and how many nodes were visited. Like any record with an array component, two answers are equal only if
 * they share the very array: compare {@link #node()} with {@link java.util.Arrays#equals}.
 */
public record Chased(long address, byte[] node, long hops) {
    public boolean found() {
        return address != 0;
    }
}
