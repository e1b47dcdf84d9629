package io.remem.cli.it;

import io.remem.client.FarSegment;
import io.remem.client.Remem;
import io.remem.client.RememOptions;
import io.remem.client.RememSession;

import java.lang.foreign.ValueLayout;

/**
 * An application in a JVM of its own, for tests that kill one: connects as tenant {@code args[1]} (secret in
 * {@code REMEM_SECRET}) to the controller at {@code args[0]}, allocates and writes {@code args[2]} bytes, says so, and
 * holds them until it is killed or its standard input closes, then closes its session.
 */
public final class HoldsMemory {
    private HoldsMemory() {}

    public static void main(String[] args) throws Exception {
        String secret = System.getenv("REMEM_SECRET");
        long bytes = Long.parseLong(args[2]);
        try (RememSession s = Remem.connect(args[0], RememOptions.builder().tenant(args[1])
                .secret(secret.toCharArray()).cacheBytes(1 << 20).build())) {
            FarSegment seg = s.memory().allocate(bytes);
            for (long off = 0; off < bytes; off += 4096) {
                seg.set(ValueLayout.JAVA_LONG, off, off + 1);
            }
            s.memory().flush();
            System.out.println("holding " + bytes + " bytes");
            System.out.flush();
            while (System.in.read() >= 0) {
                // until the test closes our input
            }
            System.out.println("closing the session");
        }
        System.out.println("closed");
    }
}
