package io.remem.cli.it;

import io.remem.client.FarSegment;
import io.remem.client.Remem;
import io.remem.client.RememOptions;
import io.remem.client.RememSession;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.foreign.ValueLayout;

/**
 * An application in a JVM of its own, for tests that kill one: connects as tenant {@code args[1]} (secret in
 * {@code REMEM_SECRET}) to the controller at {@code args[0]}, allocates and writes {@code args[2]} bytes, says so, and
 * holds them until it is killed or its standard input closes, then closes its session. A line {@code allocate} on its
 * input makes it allocate, write and check as much again.
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
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
            for (String line; (line = in.readLine()) != null; ) {
                if (line.equals("allocate")) { // again: after a lease expired, new memory must work as ever
                    FarSegment more = s.memory().allocate(bytes);
                    FarSegment small = s.memory().allocate(64);
                    for (long off = 0; off < bytes; off += 4096) {
                        more.set(ValueLayout.JAVA_LONG, off, ~off);
                    }
                    small.set(ValueLayout.JAVA_LONG, 0, 99);
                    s.memory().flush();
                    for (long off = 0; off < bytes; off += 4096) {
                        if (more.get(ValueLayout.JAVA_LONG, off) != ~off) {
                            throw new AssertionError("mismatch at " + off);
                        }
                    }
                    System.out.println("allocated again " + bytes + " bytes, small object " + small.get(ValueLayout.JAVA_LONG, 0));
                    System.out.flush();
                }
            }
            System.out.println("closing the session");
        }
        System.out.println("closed");
    }
}
