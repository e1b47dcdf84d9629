/**
 * The wire protocol, and nothing else: the frame header, opcodes and error codes, and every message body with a
 * decoder that validates it before anything uses it (docs/protocol.md). No I/O and no threads; every other module
 * depends on this one, and it depends on none of them.
 */
package io.remem.protocol;
