package io.dtrbackup.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StackSecretsTest {
    @TempDir
    Path tmp;

    @Test
    void aSecondStartOnTheSameStateDirGetsTheSameKeysAndAnotherDirOthers() throws Exception {
        Path secrets = tmp.resolve("stack/secrets");
        StackSecrets first = StackSecrets.loadOrCreate(secrets);
        StackSecrets again = StackSecrets.loadOrCreate(secrets);
        StackSecrets other = StackSecrets.loadOrCreate(tmp.resolve("other/secrets"));

        assertThat(again.accessKey()).isEqualTo(first.accessKey()).startsWith("AKSIM");
        assertThat(again.secretKey()).isEqualTo(first.secretKey()).hasSize(40);
        assertThat(other.accessKey()).isNotEqualTo(first.accessKey());
        assertThat(other.secretKey()).isNotEqualTo(first.secretKey());
        for (Path p : new Path[] {first.accessKeyFile(), first.secretKeyFile()}) {
            assertThat(p.getParent()).isEqualTo(secrets);
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(p))).isEqualTo("rw-------");
        }
        assertThat(Files.readString(first.secretKeyFile())).isEqualTo(first.secretKey() + "\n");
        assertThat(first.toString()).contains(first.secretKeyFile().toString())
                .doesNotContain(first.secretKey()).doesNotContain(first.accessKey());
    }

    @Test
    void aKeyFileTheOperatorWroteIsUsedAsItIs() throws Exception {
        Path secrets = tmp.resolve("secrets");
        Secrets.write(secrets.resolve(StackSecrets.ACCESS_KEY_FILE), "AKOPERATOR0001");
        StackSecrets keys = StackSecrets.loadOrCreate(secrets);
        assertThat(keys.accessKey()).isEqualTo("AKOPERATOR0001");
        assertThat(keys.secretKeyFile()).exists();
    }

    @Test
    void aDamagedKeyFileIsRefusedByNameWithoutItsContent() throws Exception {
        Path secrets = tmp.resolve("secrets");
        Files.createDirectories(secrets);
        Files.writeString(secrets.resolve(StackSecrets.SECRET_KEY_FILE), "line-one-secret\nline-two-secret\n");
        assertThatThrownBy(() -> StackSecrets.loadOrCreate(secrets)).isInstanceOf(CliException.class)
                .hasMessageContaining(secrets.resolve(StackSecrets.SECRET_KEY_FILE).toString())
                .hasMessageContaining("more than one line")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("line-one-secret").doesNotContain("line-two-secret"));
        Files.writeString(secrets.resolve(StackSecrets.SECRET_KEY_FILE), "\n");
        assertThatThrownBy(() -> StackSecrets.loadOrCreate(secrets)).hasMessageContaining("is empty");
    }
}
