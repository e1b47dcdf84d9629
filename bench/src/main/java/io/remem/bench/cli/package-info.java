/**
 * {@code remem demo}, {@code remem bench} and {@code remem jmh}: the commands the full jar adds to the server's
 * command line ({@link io.remem.bench.cli.BenchCommands}).
 */
package io.remem.bench.cli;
