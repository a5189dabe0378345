package io.dtrbackup.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dtrbackup.contract.config.ConfigException;
import io.dtrbackup.contract.config.ServiceConfig;
import io.dtrbackup.common.crypto.OpenPgpEncryptor;
import io.dtrbackup.common.service.ServiceLauncher;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CryptoServiceConfigTest {
    @TempDir
    Path dir;

    private Map<String, String> base() throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("DTR_BACKUP_S3_ACCESS_KEY_FILE", Files.writeString(dir.resolve("ak"), "a").toString());
        env.put("DTR_BACKUP_S3_SECRET_KEY_FILE", Files.writeString(dir.resolve("sk"), "s").toString());
        return env;
    }

    private ServiceConfig config(Map<String, String> env) {
        return ServiceLauncher.config(env, CryptoServiceConfig.parameters());
    }

    @Test
    void theServiceRefusesToStartWithoutAPassphrase() throws Exception {
        ServiceConfig config = config(base());
        assertThatThrownBy(() -> new CryptoVerticle(config)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("DTR_BACKUP_PASSPHRASE_FILE").hasMessageContaining("refuses to start");
    }

    @Test
    void aPassphraseFileGetsTheActiveOrDefaultKeyId() throws Exception {
        Map<String, String> env = base();
        env.put("DTR_BACKUP_PASSPHRASE_FILE", Files.writeString(dir.resolve("p"), "secret-pp\n").toString());
        assertThat(CryptoServiceConfig.passphrases(config(env)).activeKeyId()).isEqualTo("default");
        env.put("DTR_BACKUP_ACTIVE_KEY_ID", "k7");
        assertThat(CryptoServiceConfig.passphrases(config(env)).activeKeyId()).isEqualTo("k7");
        assertThat(config(env).describe()).doesNotContain("secret-pp");
    }

    @Test
    void aPassphraseDirectoryNeedsTheActiveKeyIdWhenItHoldsSeveral() throws Exception {
        Path keys = Files.createDirectories(dir.resolve("keys"));
        Files.writeString(keys.resolve("2025"), "old");
        Files.writeString(keys.resolve("2026"), "new");
        Map<String, String> env = base();
        env.put("DTR_BACKUP_PASSPHRASE_DIR", keys.toString());
        assertThatThrownBy(() -> CryptoServiceConfig.passphrases(config(env)))
                .hasMessageContaining("DTR_BACKUP_ACTIVE_KEY_ID");
        env.put("DTR_BACKUP_ACTIVE_KEY_ID", "2026");
        assertThat(CryptoServiceConfig.passphrases(config(env)).keyIds()).containsExactly("2025", "2026");
        env.put("DTR_BACKUP_PASSPHRASE_FILE", keys.resolve("2026").toString());
        assertThatThrownBy(() -> CryptoServiceConfig.passphrases(config(env))).hasMessageContaining("only one");
    }

    @Test
    void encryptionDefaultsAreGpgCompatibleAndHigh() throws Exception {
        OpenPgpEncryptor.Settings s = CryptoServiceConfig.encryption(config(base()));
        assertThat(s.s2kDigest()).isEqualTo(OpenPgpEncryptor.S2kDigest.SHA256);
        assertThat(s.s2kCountByte()).isEqualTo(255);
        assertThat(s.compression()).isEqualTo(OpenPgpEncryptor.Compression.NONE);
        Map<String, String> env = base();
        env.put("DTR_BACKUP_S2K_COUNT_BYTE", "16");
        assertThatThrownBy(() -> CryptoServiceConfig.encryption(config(env))).isInstanceOf(ConfigException.class);
    }
}
