package io.remem.protocol.auth;

import io.remem.protocol.ErrorCode;
import io.remem.protocol.RememException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A secret that proves an identity: a tenant's, the cluster's (memory nodes to the controller) or the admin's. Its
 * text is {@code k<8 hex digits>.<43 base64url characters>}: a public key id, then 256 random bits. The key id lets
 * one identity hold several secrets at once, so a secret can be rotated without a moment where none works; it is sent
 * in HELLO, the rest never leaves this process.
 *
 * <p>{@link #toString()} shows only the key id, so a secret cannot reach a log by accident.
 */
public final class Secret {
    private static final Pattern FORMAT = Pattern.compile("k[0-9a-f]{8}\\.[A-Za-z0-9_-]{43}");
    private static final Pattern KEY_ID = Pattern.compile("k[0-9a-f]{8}");
    private static final int RANDOM_BYTES = 32;

    private final String keyId;
    private final char[] text;

    private Secret(String keyId, char[] text) {
        this.keyId = keyId;
        this.text = text;
    }

    /** A new secret with 256 random bits and a random key id. */
    public static Secret generate(SecureRandom random) {
        byte[] id = new byte[4];
        random.nextBytes(id);
        byte[] bits = new byte[RANDOM_BYTES];
        random.nextBytes(bits);
        String s = "k" + HexFormat.of().formatHex(id) + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(bits);
        Arrays.fill(bits, (byte) 0);
        return new Secret(s.substring(0, 9), s.toCharArray());
    }

    /**
     * Parses a secret's text; {@code what} names the setting in the error, which never repeats the text.
     *
     * @throws RememException INVALID_ARGUMENT if the text is not a remem secret
     */
    public static Secret parse(char[] text, String what) {
        String s = new String(text).strip();
        if (!FORMAT.matcher(s).matches()) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, what + ": not a remem secret (expected k<8 hex>.<43"
                    + " base64url characters>, as `remem tenant add` prints)");
        }
        return new Secret(s.substring(0, 9), s.toCharArray());
    }

    /** Whether {@code keyId} has the form of a key id, for validating one that came off the wire. */
    public static boolean isKeyId(String keyId) {
        return keyId != null && KEY_ID.matcher(keyId).matches();
    }

    /**
     * Reads the secrets in {@code file}: one per line, the first the one to present, all of them accepted (two lines
     * while a secret is being rotated). Blank lines and lines starting with {@code #} are skipped.
     */
    public static List<Secret> readFile(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "cannot read secret file " + file + ": " + e.getMessage(), e);
        }
        List<Secret> out = new ArrayList<>();
        int lineNo = 0;
        for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
            lineNo++;
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            out.add(parse(l.toCharArray(), file + " line " + lineNo));
        }
        Arrays.fill(bytes, (byte) 0);
        if (out.isEmpty()) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "secret file " + file + " holds no secret");
        }
        return out;
    }

    /** Whether {@code file} may be read by others than its owner (a secret file should be mode 0600). */
    public static boolean readableByOthers(Path file) {
        try {
            Set<PosixFilePermission> p = Files.getPosixFilePermissions(file);
            return p.contains(PosixFilePermission.GROUP_READ) || p.contains(PosixFilePermission.OTHERS_READ);
        } catch (UnsupportedOperationException | IOException e) {
            return false; // not a POSIX file system: nothing to check
        }
    }

    /**
     * Writes a new file holding one fresh secret, readable by its owner only, and returns the secret. Fails if the file
     * exists: an existing secret is never overwritten.
     */
    public static Secret createFile(Path file, SecureRandom random) {
        Secret s = generate(random);
        byte[] text = (new String(s.text) + "\n").getBytes(StandardCharsets.UTF_8);
        try {
            try {
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException e) {
                Files.createFile(file);
            }
            Files.write(file, text, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.SYNC);
        } catch (IOException e) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "cannot create secret file " + file + ": " + e.getMessage(), e);
        } finally {
            Arrays.fill(text, (byte) 0);
        }
        return s;
    }

    /** The public part, sent in HELLO so the other side knows which of an identity's secrets to check against. */
    public String keyId() {
        return keyId;
    }

    /** The secret's text, for showing it once to the person who created it. The caller should clear the copy. */
    public char[] reveal() {
        return text.clone();
    }

    /** A key derived from this secret for one purpose, named by {@code label}; it reveals nothing of the secret. */
    public byte[] derive(String label) {
        byte[] material = keyBytes();
        try {
            return Crypto.hmac(material, label.getBytes(StandardCharsets.UTF_8));
        } finally {
            Arrays.fill(material, (byte) 0);
        }
    }

    /** The bytes that key an HMAC derived from this secret (token keys from the cluster secret). */
    byte[] keyBytes() {
        return new String(text).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "Secret[" + keyId + "]";
    }
}
