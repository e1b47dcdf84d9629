package io.remem.controller;

import io.remem.protocol.ErrorCode;
import io.remem.protocol.RememException;
import io.remem.protocol.auth.Scram;
import io.remem.protocol.auth.Secret;
import io.remem.protocol.auth.TokenKeys;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The controller's own secrets, from its data directory: the admin secret (operators prove it) and the cluster secret
 * (memory nodes prove it, and tokens are signed with a key derived from it). Both files are made on first start, mode
 * 0600, and each may hold more than one secret while one is rotated: all are accepted, the first is used.
 */
final class ControllerKeys {
    private static final Logger log = LoggerFactory.getLogger(ControllerKeys.class);

    private final Map<String, Scram.Verifier> admin = new HashMap<>();
    private final Map<String, Scram.Verifier> cluster = new HashMap<>();
    private final TokenKeys tokens;
    /** Keys the decoy challenges for names that do not exist, so they look the same on every start. */
    private final byte[] decoyKey;

    private ControllerKeys(List<Secret> adminSecrets, List<Secret> clusterSecrets, SecureRandom random) {
        for (Secret s : adminSecrets) {
            admin.put(s.keyId(), Scram.Verifier.of(s, random, Scram.DEFAULT_ITERATIONS));
        }
        for (Secret s : clusterSecrets) {
            cluster.put(s.keyId(), Scram.Verifier.of(s, random, Scram.DEFAULT_ITERATIONS));
        }
        this.tokens = TokenKeys.derive(clusterSecrets);
        this.decoyKey = adminSecrets.getFirst().derive("remem decoy challenges v1");
    }

    /** Loads the secrets of {@code config}, making the files that do not exist yet. */
    static ControllerKeys load(ControllerConfig config, SecureRandom random) {
        Path adminFile = config.adminSecretFile();
        Path clusterFile = config.effectiveClusterSecretFile();
        List<Secret> adminSecrets = readOrCreate(adminFile, random, "admin");
        List<Secret> clusterSecrets = readOrCreate(clusterFile, random, "cluster");
        return new ControllerKeys(adminSecrets, clusterSecrets, random);
    }

    private static List<Secret> readOrCreate(Path file, SecureRandom random, String what) {
        if (!Files.exists(file)) {
            try {
                Files.createDirectories(file.toAbsolutePath().getParent());
            } catch (IOException e) {
                throw new RememException(ErrorCode.INVALID_ARGUMENT, "cannot create " + file.getParent() + ": " + e.getMessage(), e);
            }
            Secret.createFile(file, random);
            log.info("created the {} secret in {} (mode 0600); {}", what, file, what.equals("cluster")
                    ? "give it to every memory node with --cluster-secret-file" : "admin commands take it with --admin-secret-file");
        }
        if (Secret.readableByOthers(file)) {
            log.warn("{} is readable by other users; make it mode 0600 (chmod 600 {})", file, file);
        }
        return Secret.readFile(file);
    }

    /** The verifier of the admin secret {@code keyId}, or a decoy if there is none. */
    Scram.Verifier admin(String keyId) {
        Scram.Verifier v = admin.get(keyId);
        return v != null ? v : Scram.Verifier.decoy(decoyKey, "admin", keyId);
    }

    /** The verifier of the cluster secret {@code keyId}, or a decoy if there is none. */
    Scram.Verifier cluster(String keyId) {
        Scram.Verifier v = cluster.get(keyId);
        return v != null ? v : Scram.Verifier.decoy(decoyKey, "node", keyId);
    }

    /** A decoy for a tenant or key that does not exist. */
    Scram.Verifier decoy(String principal, String keyId) {
        return Scram.Verifier.decoy(decoyKey, principal, keyId);
    }

    TokenKeys tokens() {
        return tokens;
    }
}
