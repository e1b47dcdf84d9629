package io.remem.transport;

import javax.net.ssl.SSLException;

/** Words for TLS failures that name the likely cause, since the JDK's messages rarely do. */
final class TlsErrors {
    private TlsErrors() {}

    static String describe(Throwable cause) {
        Throwable root = cause;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String m = String.valueOf(root.getMessage());
        String hint = "";
        if (m.contains("PKIX path building failed") || m.contains("unable to find valid certification path")) {
            hint = " (the certificate does not chain to the trusted CA: check --tls-ca)";
        } else if (m.contains("NotAfter") || m.contains("validity check failed") || m.contains("expired")) {
            hint = " (a certificate has expired)";
        } else if (m.contains("No subject alternative") || m.contains("doesn't match")) {
            hint = " (the certificate does not name the host dialled)";
        } else if (m.contains("bad_certificate") || m.contains("certificate_required") || m.contains("Empty client certificate")) {
            hint = " (the server did not accept this side's certificate)";
        }
        return (cause instanceof SSLException ? "" : root.getClass().getSimpleName() + ": ") + m + hint;
    }
}
