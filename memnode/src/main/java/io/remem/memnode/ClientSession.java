package io.remem.memnode;

/** What a memory node knows about a client connection after HELLO: whose memory it may touch. */
record ClientSession(String tenant, int tenantId) {}
