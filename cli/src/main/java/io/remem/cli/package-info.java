/**
 * The {@code remem} command of the server jar: controller, memory node, status, tenants and datasets, one picocli
 * subcommand each; every flag is checked and its error names it. Other jars add commands through
 * {@link io.remem.cli.CommandProvider}.
 */
package io.remem.cli;
