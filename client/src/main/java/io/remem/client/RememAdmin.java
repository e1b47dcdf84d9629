package io.remem.client;

import io.remem.protocol.ClusterStatus;
import io.remem.protocol.DatasetDelete;
import io.remem.protocol.DatasetInfo;
import io.remem.protocol.Opcode;
import io.remem.protocol.Role;
import io.remem.protocol.TenantAdd;
import io.remem.protocol.TenantKey;
import io.remem.protocol.TenantKeyRevoke;
import io.remem.protocol.TenantQuota;
import io.remem.protocol.TenantRemove;
import io.remem.protocol.TenantName;
import io.remem.protocol.auth.Credentials;
import io.remem.protocol.auth.Scram;
import io.remem.protocol.auth.Secret;
import io.remem.transport.BodyWriter;
import io.remem.transport.ClientTls;
import io.remem.transport.EventLoops;
import io.remem.transport.HostPort;
import io.remem.transport.TlsConfig;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;

/**
 * An operator's connection to the controller, opened by proving the admin secret: tenants and their secrets, drain and
 * undrain, and the whole cluster's status.
 *
 * <p>A tenant's secret is made here, on the operator's machine: the controller receives only its verifier, from which
 * the secret cannot be recovered, so the secret never crosses the network.
 */
public final class RememAdmin implements AutoCloseable {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final EventLoops loops;
    private final ControllerClient client;

    private RememAdmin(HostPort address, Secret adminSecret, TlsConfig tls) {
        this.loops = EventLoops.create("remem-admin", 1);
        try {
            this.client = new ControllerClient(loops, address, Role.ADMIN, Credentials.ofSecret("admin", adminSecret),
                    tls == null ? null : ClientTls.of(tls), Duration.ofSeconds(3), Duration.ofSeconds(30), Duration.ZERO,
                    grant -> {});
        } catch (RuntimeException e) {
            loops.close();
            throw e;
        }
    }

    /** Connects to the controller at {@code controller} ({@code HOST:PORT}) as admin; {@code tls} may be null. */
    public static RememAdmin connect(String controller, Secret adminSecret, TlsConfig tls) {
        return new RememAdmin(HostPort.parse(controller, "controller"), adminSecret, tls);
    }

    /** As above, with the admin secret read from {@code adminSecretFile} (the controller's {@code admin.secret}). */
    public static RememAdmin connect(String controller, Path adminSecretFile, TlsConfig tls) {
        return connect(controller, Secret.readFile(adminSecretFile).getFirst(), tls);
    }

    /** Every memory node, every tenant, and how far re-replication has come. */
    public ClusterStatus status() {
        return client.status();
    }

    /**
     * Creates tenant {@code name} with a new secret and returns the secret, which nothing keeps: show it to the person
     * who will configure the tenant's applications, once. {@code quota} is in bytes, or negative for the controller's
     * default.
     */
    public Secret addTenant(String name, long quota) {
        Secret secret = Secret.generate(RANDOM);
        TenantAdd add = new TenantAdd(quota < 0 ? TenantAdd.DEFAULT_QUOTA : quota, key(name, secret));
        client.callOnce(Opcode.TENANT_ADD, 0, 0, 256, add::encode, (h, b) -> null);
        return secret;
    }

    /** Gives tenant {@code name} one more secret and returns it: the first step of rotating its secret. */
    public Secret addTenantSecret(String name) {
        Secret secret = Secret.generate(RANDOM);
        TenantKey key = key(name, secret);
        client.callOnce(Opcode.TENANT_KEY_ADD, 0, 0, 256, key::encode, (h, b) -> null);
        return secret;
    }

    /** Revokes tenant {@code name}'s secret {@code keyId}: new connections can no longer use it. */
    public void revokeTenantSecret(String name, String keyId) {
        TenantKeyRevoke r = new TenantKeyRevoke(name, keyId);
        client.callOnce(Opcode.TENANT_KEY_REVOKE, 0, 0, 64, r::encode, (h, b) -> null);
    }

    /** Sets tenant {@code name}'s quota to {@code bytes} of slabs. */
    public void setQuota(String name, long bytes) {
        TenantQuota q = new TenantQuota(name, bytes);
        client.callOnce(Opcode.TENANT_QUOTA, 0, 0, 64, q::encode, (h, b) -> null);
    }

    /** Removes tenant {@code name}; with {@code force}, freeing every slab it holds, which is otherwise refused. */
    public void removeTenant(String name, boolean force) {
        TenantRemove r = new TenantRemove(name, force);
        client.callOnce(Opcode.TENANT_REMOVE, 0, 0, 64, r::encode, (h, b) -> null);
    }

    /** Every tenant, its quota, use and key ids. */
    public List<ClusterStatus.Tenant> tenants() {
        return status().tenants();
    }

    /**
     * Moves every slab off memory node {@code nodeId} while clients keep working, and places no new ones there. Returns
     * at once; {@link #status} shows the progress.
     */
    public void drain(long nodeId) {
        client.callOnce(Opcode.NODE_DRAIN, nodeId, 0, 0, BodyWriter.EMPTY, (h, b) -> null);
    }

    /** Undoes {@link #drain}: the node takes new slabs again; slabs already moved stay where they are. */
    public void undrain(long nodeId) {
        client.callOnce(Opcode.NODE_UNDRAIN, nodeId, 0, 0, BodyWriter.EMPTY, (h, b) -> null);
    }

    /** Every tenant's datasets. */
    public List<DatasetInfo> datasets() {
        return client.callOnce(Opcode.DATASET_LIST, 0, 0, 0, BodyWriter.EMPTY, (h, b) -> DatasetInfo.decodeList(b));
    }

    /** Deletes {@code owner}'s dataset {@code name}; with {@code force} even while runtimes have it open. */
    public void deleteDataset(String owner, String name, boolean force) {
        DatasetDelete d = new DatasetDelete(owner, name, force);
        client.callOnce(Opcode.DATASET_DELETE, 0, 0, 64, d::encode, (h, b) -> null);
    }

    private static TenantKey key(String name, Secret secret) {
        TenantName.check(name);
        Scram.Verifier v = Scram.Verifier.of(secret, RANDOM, Scram.DEFAULT_ITERATIONS);
        return new TenantKey(name, v.keyId(), v.salt(), v.iterations(), v.storedKey(), v.serverKey());
    }

    @Override
    public void close() {
        client.close();
        loops.close();
    }
}
