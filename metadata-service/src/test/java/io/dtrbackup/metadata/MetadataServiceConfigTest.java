package io.dtrbackup.metadata;

import static org.assertj.core.api.Assertions.assertThat;

import io.dtrbackup.contract.config.ConfigParameter;
import io.dtrbackup.contract.config.ServiceConfig;
import io.dtrbackup.testsupport.DtrSimulator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The backup container's network: production's default, and what the test bed sets. */
class MetadataServiceConfigTest {
    @TempDir
    Path dir;

    /** The service's config from {@code settings} plus the S3 key files every service requires. */
    private ServiceConfig config(Map<String, String> settings) throws Exception {
        Map<String, String> env = new HashMap<>(settings);
        env.put("DTR_BACKUP_S3_ACCESS_KEY_FILE", Files.writeString(dir.resolve("access"), "a").toString());
        env.put("DTR_BACKUP_S3_SECRET_KEY_FILE", Files.writeString(dir.resolve("secret"), "s").toString());
        return ServiceConfig.fromMap(env, MetadataServiceConfig.parameters());
    }

    @Test
    void byDefaultTheBackupContainerRunsOnTheEnginesDefaultNetworkLikeDockerRunByHand() throws Exception {
        ServiceConfig config = config(Map.of());
        String mode = config.get(MetadataServiceConfig.DTR_NETWORK_MODE);
        assertThat(mode).isEqualTo(MetadataServiceConfig.ENGINE_DEFAULT_NETWORK).isEqualTo("default");
        assertThat(DtrContainerRunner.hostConfig(mode).getNetworkMode()).isEqualTo("default");
    }

    @Test
    void anExplicitModeIsPassedThrough() throws Exception {
        for (String mode : new String[] {"none", "host", "bridge", "ucp-backup-net"}) {
            ServiceConfig config = config(Map.of("DTR_BACKUP_DTR_NETWORK_MODE", mode));
            assertThat(DtrContainerRunner.hostConfig(config.get(MetadataServiceConfig.DTR_NETWORK_MODE))
                    .getNetworkMode()).isEqualTo(mode);
        }
    }

    @Test
    void theTestBedSettingsAreDeclaredKeysAndGiveNone() throws Exception {
        assertThat(DtrSimulator.serviceSettings().keySet()).isSubsetOf(MetadataServiceConfig.parameters().stream()
                .map(ConfigParameter::envName).toList());
        ServiceConfig config = config(DtrSimulator.serviceSettings());
        assertThat(DtrContainerRunner.hostConfig(config.get(MetadataServiceConfig.DTR_NETWORK_MODE)).getNetworkMode())
                .isEqualTo("none");
    }
}
