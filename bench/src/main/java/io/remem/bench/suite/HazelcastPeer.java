package io.remem.bench.suite;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.client.config.ClientNetworkConfig;
import com.hazelcast.core.HazelcastInstance;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Hazelcast as a peer: one member in its own JVM on loopback, used through the Java client as an application
 * would. {@link #target} gives the plain client ("hazelcast") or one with a near cache ("hazelcast+near").
 */
public final class HazelcastPeer implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
    /** Long enough for a member that is busy collecting garbage; short enough that a dead one fails a run. */
    private static final long CONNECT_TIMEOUT_MILLIS = 30_000;
    /** Held because JUL holds loggers weakly, and the level set on it would go with it. */
    private static final Logger HAZELCAST_LOG = Logger.getLogger("com.hazelcast");

    static {
        // The clients live in the bench's JVM: their INFO lines (connected, disconnected) would mix into its report.
        HAZELCAST_LOG.setLevel(Level.WARNING);
    }

    private final ChildJvm member;
    private final String address;
    private final String version;
    private final List<HazelcastTarget> targets = new CopyOnWriteArrayList<>();

    private HazelcastPeer(ChildJvm member, String address, String version) {
        this.member = member;
        this.address = address;
        this.version = version;
    }

    /**
     * Starts a member on {@code port} (0: a free one) in a JVM of {@code heap}, and makes sure a client gets in.
     */
    public static HazelcastPeer start(int port, String heap) throws PeerUnavailableException {
        int p = port != 0 ? port : freePort();
        ChildJvm member = ChildJvm.start("hazelcast", HazelcastMember.class, heap, START_TIMEOUT, Integer.toString(p));
        String address = member.info();
        HazelcastInstance probe = null;
        try {
            probe = HazelcastClient.newHazelcastClient(clientConfig(address));
            String version = "Hazelcast " + probe.getCluster().getMembers().iterator().next().getVersion();
            return new HazelcastPeer(member, address, version);
        } catch (RuntimeException e) {
            member.close();
            throw new PeerUnavailableException("hazelcast: a client cannot use the member at " + address + ": " + e, e);
        } finally {
            if (probe != null) {
                probe.shutdown();
            }
        }
    }

    /** {@code 127.0.0.1:<port>} of the member, for clients in other JVMs. */
    String address() {
        return address;
    }

    /** The member's version, as it reports it to a client. */
    public String version() {
        return version;
    }

    /** "hazelcast" for 0, else "hazelcast+near" with a client near cache of about {@code nearCacheBytes}. */
    public Target target(long nearCacheBytes) {
        if (nearCacheBytes < 0) {
            throw new IllegalArgumentException("near cache of " + nearCacheBytes + " bytes");
        }
        // A client of its own: near caches are client configuration, and targets must not share one.
        ClientConfig config = clientConfig(address);
        HazelcastTarget target = new HazelcastTarget(HazelcastClient.newHazelcastClient(config), config,
                nearCacheBytes, targets::remove);
        targets.add(target);
        return target;
    }

    static ClientConfig clientConfig(String address) {
        ClientConfig config = new ClientConfig();
        config.setClusterName(HazelcastMember.CLUSTER);
        config.setProperty("hazelcast.logging.type", "jdk");
        config.setProperty("hazelcast.phone.home.enabled", "false");
        config.getMetricsConfig().setEnabled(false);
        ClientNetworkConfig network = config.getNetworkConfig();
        network.addAddress(address);
        network.getAutoDetectionConfig().setEnabled(false);
        // Without a bound the client retries forever, and a dead member would hang the run instead of failing it.
        config.getConnectionStrategyConfig().getConnectionRetryConfig()
                .setClusterConnectTimeoutMillis(CONNECT_TIMEOUT_MILLIS);
        HazelcastSerialization.register(config.getSerializationConfig());
        return config;
    }

    private static int freePort() throws PeerUnavailableException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new PeerUnavailableException("hazelcast: no free port on loopback: " + e.getMessage(), e);
        }
    }

    /** Closes the clients still open (they would otherwise retry a dead member) and kills the member. */
    @Override
    public void close() {
        for (HazelcastTarget t : targets) {
            t.close();
        }
        member.close();
    }
}
