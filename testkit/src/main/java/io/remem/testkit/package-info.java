/**
 * What tests of several modules share: certificates made on the fly for TLS tests, and a linearizability checker
 * for histories recorded from several JVMs.
 */
package io.remem.testkit;
