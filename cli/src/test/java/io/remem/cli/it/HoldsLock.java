package io.remem.cli.it;

import io.remem.client.Dataset;
import io.remem.client.DatasetOptions;
import io.remem.client.FarLock;
import io.remem.client.Remem;
import io.remem.client.RememOptions;
import io.remem.client.RememSession;

/**
 * An application in a JVM of its own that takes the far lock at word 0 of dataset {@code args[2]} (created if need
 * be) as tenant {@code args[1]} (secret in {@code REMEM_SECRET}) at the controller {@code args[0]}, says so, and holds
 * it until it is killed.
 */
public final class HoldsLock {
    private HoldsLock() {}

    public static void main(String[] args) throws Exception {
        try (RememSession s = Remem.connect(args[0], RememOptions.builder().tenant(args[1])
                .secret(System.getenv("REMEM_SECRET").toCharArray()).cacheBytes(1 << 20).build());
             Dataset d = s.memory().dataset(args[2], DatasetOptions.create(64 << 10))) {
            FarLock lock = s.memory().lock(d.segment(), 0);
            lock.lock();
            System.out.println("locked");
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
        }
    }
}
