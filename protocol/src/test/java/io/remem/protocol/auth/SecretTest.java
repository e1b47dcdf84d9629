package io.remem.protocol.auth;

import io.remem.protocol.RememException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SecretTest {
    private static final SecureRandom RANDOM = new SecureRandom();

    @Test
    void aGeneratedSecretParsesBackAndNeverPrintsItself() {
        Secret s = Secret.generate(RANDOM);
        char[] text = s.reveal();
        assertThat(new String(text)).matches("k[0-9a-f]{8}\\.[A-Za-z0-9_-]{43}");
        assertThat(Secret.parse(text, "x").keyId()).isEqualTo(s.keyId());
        assertThat(s.toString()).doesNotContain(new String(text).substring(10));
    }

    @Test
    void malformedTextIsRefusedWithoutEchoingIt() {
        assertThatThrownBy(() -> Secret.parse("hunter2".toCharArray(), "REMEM_SECRET"))
                .isInstanceOf(RememException.class)
                .hasMessageContaining("REMEM_SECRET")
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void aCreatedFileIsOwnerOnlyAndHoldsOneSecret(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("cluster.secret");
        Secret s = Secret.createFile(f, RANDOM);
        assertThat(Files.getPosixFilePermissions(f)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(Secret.readableByOthers(f)).isFalse();
        assertThat(Secret.readFile(f)).extracting(Secret::keyId).containsExactly(s.keyId());
        assertThatThrownBy(() -> Secret.createFile(f, RANDOM)).isInstanceOf(RememException.class); // never overwritten
    }

    @Test
    void aFileMayHoldSeveralSecretsWithCommentsTheFirstFirst(@TempDir Path dir) throws Exception {
        Secret a = Secret.generate(RANDOM);
        Secret b = Secret.generate(RANDOM);
        Path f = dir.resolve("s");
        Files.writeString(f, "# rotating\n" + new String(a.reveal()) + "\n\n" + new String(b.reveal()) + "\n");
        List<Secret> read = Secret.readFile(f);
        assertThat(read).extracting(Secret::keyId).containsExactly(a.keyId(), b.keyId());
    }

    @Test
    void anEmptyFileIsAnError(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("s");
        Files.writeString(f, "# nothing\n");
        assertThatThrownBy(() -> Secret.readFile(f)).hasMessageContaining("holds no secret");
    }
}
