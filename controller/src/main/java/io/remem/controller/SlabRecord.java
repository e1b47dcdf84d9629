package io.remem.controller;

/** One slab the controller has placed: its owner, its size and the nodes holding it, primary first. */
record SlabRecord(long id, String tenant, long size, long[] replicas) {}
