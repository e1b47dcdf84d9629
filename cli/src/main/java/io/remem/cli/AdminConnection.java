package io.remem.cli;

import io.remem.client.RememAdmin;
import io.remem.protocol.RememException;
import io.remem.transport.HostPort;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;

/** The flags of every admin command: which controller, and the admin secret that proves who is asking. */
final class AdminConnection {
    @Option(names = "--controller", required = true, converter = Converters.Endpoint.class, paramLabel = "HOST:PORT",
            description = "Where the controller is.")
    HostPort controller;

    @Option(names = "--admin-secret-file", required = true, paramLabel = "FILE",
            description = "The admin secret: admin.secret in the controller's data directory.")
    Path adminSecretFile;

    @Mixin
    TlsClientOptions tls;

    /** Runs {@code work} on an admin connection, and turns a failure into one line that names the flag at fault. */
    <T> T run(Function<RememAdmin, T> work) {
        if (!Files.isReadable(adminSecretFile)) {
            throw new IllegalArgumentException("--admin-secret-file: cannot read " + adminSecretFile);
        }
        try (RememAdmin admin = RememAdmin.connect(controller.toString(), adminSecretFile, tls.config())) {
            return work.apply(admin);
        } catch (RememException e) {
            throw new IllegalArgumentException(switch (e.code()) {
                case AUTHENTICATION_FAILED -> "--admin-secret-file " + adminSecretFile + ": the controller at "
                        + controller + " refused it (" + e.detail() + ")";
                case NODE_UNAVAILABLE, CONNECTION_CLOSED, TIMEOUT -> "--controller " + controller + ": " + e.detail();
                default -> e.detail();
            }, e);
        }
    }
}
