package io.remem.memnode;

/**
 * What a memory node knows about a client connection after HELLO: whose memory it may touch (proven by a token the
 * controller signed), and whether its data carries checksums.
 */
record ClientSession(String tenant, int tenantId, boolean checksums) {}
