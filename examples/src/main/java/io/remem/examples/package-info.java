/**
 * Small programs that use remem as an application does: each starts a cluster of its own (or uses the controller
 * given as its first argument), does one thing with far memory, and checks its own answers.
 */
package io.remem.examples;
