/**
 * A memory node: slabs of off-heap (or file-mapped) memory, served to runtimes with every access checked against the
 * session's token and grants; replica copies, epochs, exactly-once windows, checksums at rest and offloads
 * (docs/design.md, "The memory node").
 */
package io.remem.memnode;
