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
 * A test class whose tests share one session asks for it with {@link #withSession}: it is opened after the cluster
 * starts and closed before it stops, and {@link #session()} returns it.
 *
 * JUnit is an optional dependency of this module: an application that uses this class has JUnit Jupiter on its test
 * classpath already.
 */
public final class EmbeddedClusterExtension implements BeforeAllCallback, AfterAllCallback {
    private final EmbeddedCluster.Builder builder;
    private final RememOptions sessionOptions;
    private volatile EmbeddedCluster cluster;
    private volatile RememSession session;

    public EmbeddedClusterExtension(EmbeddedCluster.Builder builder) {
        this(builder, null);
    }

    private EmbeddedClusterExtension(EmbeddedCluster.Builder builder, RememOptions sessionOptions) {
        this.builder = builder;
        this.sessionOptions = sessionOptions;
    }

    /** This extension, also opening one session with {@code options} for the whole test class. */
    public EmbeddedClusterExtension withSession(RememOptions options) {
        return new EmbeddedClusterExtension(builder, options);
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        cluster = builder.start();
        if (sessionOptions != null) {
            session = cluster.connect(sessionOptions);
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        RememSession s = session;
        EmbeddedCluster c = cluster;
        session = null;
        cluster = null;
        try {
            if (s != null) {
                s.close();
            }
        } finally {
            if (c != null) {
                c.close();
            }
        }
    }

    /** The test class's session, from {@link #withSession}. */
    public RememSession session() {
        RememSession s = session;
        if (s == null) {
            throw new IllegalStateException(sessionOptions == null
                    ? "no session was asked for: register the extension with withSession(options)"
                    : "the session is open only between the test class's first and last test");
        }
        return s;
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
