package io.remem.bench.suite;

import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;

import java.io.IOException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One Hazelcast member for {@link HazelcastPeer}, run in its own JVM by {@link ChildJvm} so its heap, GC and
 * partition threads are not the benchmark's. Arguments: the port. Prints {@code READY 127.0.0.1:<port>} once it
 * serves, and exits when its stdin closes (the parent is gone) or when killed.
 */
public final class HazelcastMember {
    static final String CLUSTER = "remem-bench";

    /** JUL keeps loggers weakly: without this reference the level set below could be collected and lost. */
    private static final Logger HAZELCAST_LOG = Logger.getLogger("com.hazelcast");

    private HazelcastMember() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: HazelcastMember <port>");
            System.exit(2);
        }
        int port = Integer.parseInt(args[0]);
        quietLogging();
        HazelcastInstance member = Hazelcast.newHazelcastInstance(config(port));
        // The port it really bound, so a mismatch shows up as a wrong address rather than a silent other member.
        int bound = member.getCluster().getLocalMember().getSocketAddress().getPort();
        System.out.println(ChildJvm.READY + "127.0.0.1:" + bound);
        System.out.flush();
        while (System.in.read() >= 0) {
            // nothing comes on stdin; its end means the parent has gone
        }
        member.getLifecycleService().terminate();
        System.exit(0);
    }

    /** Before any Hazelcast class logs: its INFO banner and cluster chatter would bury the bench's own output. */
    static void quietLogging() {
        System.setProperty("hazelcast.logging.type", "jdk");
        HAZELCAST_LOG.setLevel(Level.WARNING);
    }

    static Config config(int port) {
        Config config = new Config();
        config.setClusterName(CLUSTER);
        config.setProperty("hazelcast.phone.home.enabled", "false");
        // Bind the one interface rather than the wildcard address: the member is for this machine only.
        config.setProperty("hazelcast.socket.bind.any", "false");
        config.setProperty("hazelcast.health.monitoring.level", "OFF");
        config.getJetConfig().setEnabled(false);
        // Metrics collection is background work the benchmark would be measuring alongside the maps.
        config.getMetricsConfig().setEnabled(false);

        NetworkConfig network = config.getNetworkConfig();
        network.setPort(port).setPortAutoIncrement(false);
        network.getInterfaces().setEnabled(true).addInterface("127.0.0.1");
        JoinConfig join = network.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        join.getTcpIpConfig().setEnabled(true).addMember("127.0.0.1:" + port);

        HazelcastSerialization.register(config.getSerializationConfig());
        return config;
    }
}
