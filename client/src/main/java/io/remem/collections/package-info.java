/**
 * Data structures in far memory, built on {@code FarSegment}: {@code FarMap} (a {@code ConcurrentMap}, private to a
 * runtime, or shared between runtimes by name through {@code FarMap.open}), far arrays and a far list
 * (docs/design.md, "Far data structures").
 */
package io.remem.collections;
