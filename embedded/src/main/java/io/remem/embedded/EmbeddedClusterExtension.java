package io.remem.embedded;

import io.remem.client.RememOptions;
import io.remem.client.RememSession;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A JUnit 5 extension that starts an {@link EmbeddedCluster} before a test class's first test and closes it after its
 * last, so that a test class needs one line for a whole cluster:
 *
 * <pre>{@code
 * @RegisterExtension
 * static final EmbeddedClusterExtension cluster =
 *         new EmbeddedClusterExtension(EmbeddedCluster.builder().nodes(2).slabShift(20));
 * ...
 * try (RememSession s = cluster.connect(RememOptions.builder().tenant("t").build())) { ... }
 * }</pre>
 *
 * JUnit is an optional dependency of this module: an application that uses this class has JUnit Jupiter on its test
 * classpath already.
 */
public final class EmbeddedClusterExtension implements BeforeAllCallback, AfterAllCallback {
    private final EmbeddedCluster.Builder builder;
    private volatile EmbeddedCluster cluster;

    public EmbeddedClusterExtension(EmbeddedCluster.Builder builder) {
        this.builder = builder;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        cluster = builder.start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        EmbeddedCluster c = cluster;
        cluster = null;
        if (c != null) {
            c.close();
        }
    }

    /** The running cluster. */
    public EmbeddedCluster get() {
        EmbeddedCluster c = cluster;
        if (c == null) {
            throw new IllegalStateException("the cluster runs only between the test class's first and last test");
        }
        return c;
    }

    /** A session with the cluster, as {@link EmbeddedCluster#connect}. */
    public RememSession connect(RememOptions options) {
        return get().connect(options);
    }
}
