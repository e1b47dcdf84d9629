package io.remem.controller;

/** What the controller knows about an authenticated connection, by the role it proved. */
final class Sessions {
    private Sessions() {}

    /** A runtime acting for a tenant, which proved the tenant's secret {@code keyId}. */
    record Client(String tenant, String keyId) {}

    /** An operator, who proved the admin secret. */
    record Admin() {}

    /** A memory node, which proved the cluster secret; which node it is, once it has registered. */
    static final class Node {
        final byte[] binding;
        volatile NodeRecord node;

        Node(byte[] binding) {
            this.binding = binding.clone();
        }
    }
}
