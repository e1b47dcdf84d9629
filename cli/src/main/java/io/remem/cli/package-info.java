/**
 * The {@code remem} command: controller, memory node, status, tenants, datasets, the demo and the benchmarks, one
 * picocli subcommand each; every flag is checked and its error names it.
 */
package io.remem.cli;
