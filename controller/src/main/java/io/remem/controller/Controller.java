package io.remem.controller;

import io.remem.transport.Connections;
import io.remem.transport.EventLoops;
import io.remem.transport.HostPort;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A running controller: recovers its metadata, serves memory nodes and clients on one port, and marks nodes
 * dead when their heartbeats stop. Start one with {@link #start}.
 */
public final class Controller implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Controller.class);

    private final ControllerConfig config;
    private final Metadata metadata;
    private final EventLoops loops;
    private final ExecutorService slowPath = Executors.newVirtualThreadPerTaskExecutor();
    private final ScheduledExecutorService detector;
    private final Connections.Listener listener;

    private Controller(ControllerConfig config) {
        this.config = config;
        this.metadata = Metadata.recover(config, ThreadLocalRandom.current());
        this.loops = EventLoops.create("remem-controller", 0);
        try {
            this.listener = Connections.listen(loops, config.listen().host(), config.listen().port(),
                    () -> new ControllerService(metadata, config, slowPath), "controller", config.callTimeout());
        } catch (RuntimeException e) {
            loops.close();
            metadata.close();
            throw e;
        }
        this.detector = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform()
                .daemon().name("remem-failure-detector").factory());
        long period = Math.max(1, config.heartbeatInterval().toMillis() / 2);
        detector.scheduleAtFixedRate(this::detectFailures, period, period, TimeUnit.MILLISECONDS);
    }

    public static Controller start(ControllerConfig config) {
        return new Controller(config);
    }

    /** Where memory nodes and clients reach this controller. */
    public HostPort address() {
        String host = config.listen().host();
        if ("0.0.0.0".equals(host) || "::".equals(host)) {
            host = "127.0.0.1";
        }
        return new HostPort(host, listener.port());
    }

    /** Number of memory nodes currently alive. */
    public int liveNodes() {
        return metadata.liveNodes();
    }

    private void detectFailures() {
        try {
            for (NodeRecord n : metadata.detectFailures(System.nanoTime(), config.nodeTimeout().toNanos())) {
                log.warn("memory node {} ({}) has been silent for more than {} ms: marked dead; its {} slab(s) are"
                        + " unavailable until it returns", n.id, n.address(), config.nodeTimeout().toMillis(), n.slabs);
            }
        } catch (RuntimeException e) {
            log.error("failure detector", e);
        }
    }

    @Override
    public void close() {
        detector.shutdownNow();
        listener.close();
        slowPath.shutdownNow();
        loops.close();
        metadata.close();
    }
}
