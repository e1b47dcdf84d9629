/**
 * What tests of several modules share: a raw protocol client that sends exactly the bytes a test crafts
 * ({@code RawClient}), waiting with deadlines ({@code Await}), certificates made on the fly for TLS tests
 * ({@code TestPki}), and a linearizability checker for histories recorded from several JVMs.
 */
package io.remem.testkit;
