package io.remem.controller;

import io.remem.protocol.Hello;
import io.remem.protocol.auth.AuthenticationFailure;
import io.remem.protocol.auth.Scram;
import io.remem.transport.HelloDecision;

/**
 * Decides every HELLO the controller gets. Tenants, operators and memory nodes prove a secret by challenge-response;
 * a name or key id that does not exist gets a decoy challenge, so it fails exactly like a wrong proof. Nothing is
 * created by a HELLO.
 */
final class Authenticator {
    private final Metadata metadata;
    private final ControllerKeys keys;
    private final TokenIssuer tokens;
    private final ClientConnections connections;

    Authenticator(Metadata metadata, ControllerKeys keys, TokenIssuer tokens, ClientConnections connections) {
        this.metadata = metadata;
        this.keys = keys;
        this.tokens = tokens;
        this.connections = connections;
    }

    HelloDecision decide(Hello hello) {
        if (hello.credential().length > 0) {
            throw new AuthenticationFailure(hello.role() + " " + hello.principal() + " presented a token to the controller");
        }
        return switch (hello.role()) {
            case CLIENT -> {
                String tenant = hello.principal();
                Scram.Verifier v = metadata.tenantVerifier(tenant, hello.keyId());
                String keyId = hello.keyId();
                yield new HelloDecision.Challenge(v != null ? v : keys.decoy(tenant, keyId), (peer, binding) -> {
                    connections.opened(peer, tenant, keyId);
                    return new HelloDecision.Accept(new Sessions.Client(tenant, keyId), tokens.session(tenant));
                });
            }
            case ADMIN -> {
                Scram.Verifier v = "admin".equals(hello.principal()) ? keys.admin(hello.keyId()) : keys.decoy(hello.principal(), hello.keyId());
                yield new HelloDecision.Challenge(v, (peer, binding) -> new HelloDecision.Accept(new Sessions.Admin()));
            }
            case MEMORY_NODE -> {
                Scram.Verifier v = "node".equals(hello.principal()) ? keys.cluster(hello.keyId()) : keys.decoy(hello.principal(), hello.keyId());
                yield new HelloDecision.Challenge(v, (peer, binding) -> new HelloDecision.Accept(new Sessions.Node(binding)));
            }
            case REPLICA -> throw new AuthenticationFailure("a replica session was asked of the controller");
        };
    }
}
