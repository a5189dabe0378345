package io.dtrbackup.contract.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServiceConfigTest {
    static final ConfigParameter<Integer> JOBS = ConfigParameter.optional("JOBS", ConfigType.INT, "2", "jobs");
    static final ConfigParameter<Duration> WAIT = ConfigParameter.optional("WAIT", ConfigType.DURATION, "30s", "wait");
    static final ConfigParameter<String> NAME = ConfigParameter.required("NAME", ConfigType.STRING, "a name");
    static final ConfigParameter<Path> SECRET = ConfigParameter.secretFile("SECRET_FILE", false, "secret");
    static final List<ConfigParameter<?>> ALL = List.of(JOBS, WAIT, NAME, SECRET);

    @Test
    void defaultsApplyAndEnvironmentWins(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("service.properties");
        Files.writeString(file, "JOBS=5\nNAME=from-file\n");
        ServiceConfig config = ServiceConfig.fromMap(Map.of(ServiceConfig.CONFIG_FILE_ENV, file.toString(),
                "DTR_BACKUP_NAME", "from-env"), ALL);
        assertThat(config.get(JOBS)).isEqualTo(5);
        assertThat(config.get(NAME)).isEqualTo("from-env");
        assertThat(config.get(WAIT)).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.get(SECRET)).isNull();
        assertThat(config.describe()).contains("DTR_BACKUP_JOBS=5  (file ").contains("DTR_BACKUP_NAME=from-env  (env");
    }

    @Test
    void reportsEveryProblemAtOnce() {
        assertThatThrownBy(() -> ServiceConfig.fromMap(Map.of("DTR_BACKUP_JOBS", "many", "DTR_BACKUP_WAIT", "soon",
                "DTR_BACKUP_SECRET_FILE", "/nonexistent/secret"), ALL))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("DTR_BACKUP_JOBS")
                .hasMessageContaining("DTR_BACKUP_WAIT")
                .hasMessageContaining("DTR_BACKUP_NAME is required")
                .hasMessageContaining("/nonexistent/secret does not exist");
    }

    @Test
    void secretsAreReadFromFilesAndNeverDescribed(@TempDir Path dir) throws Exception {
        Path secret = dir.resolve("pw");
        Files.writeString(secret, "hunter2-very-secret\n");
        ServiceConfig config = ServiceConfig.fromMap(Map.of("DTR_BACKUP_NAME", "n", "DTR_BACKUP_SECRET_FILE",
                secret.toString()), ALL);
        assertThat(new String(ServiceConfig.readSecret(config.get(SECRET)))).isEqualTo("hunter2-very-secret");
        assertThat(config.describe()).doesNotContain("hunter2").contains(secret.toString());
    }

    @Test
    void emptySecretFileIsAnError(@TempDir Path dir) throws Exception {
        Path secret = dir.resolve("empty");
        Files.writeString(secret, "\n");
        assertThatThrownBy(() -> ServiceConfig.readSecret(secret)).hasMessageContaining("is empty");
    }

    @Test
    void durationsAcceptUnitsAndIso() {
        assertThat(ConfigType.parseDuration("26h")).isEqualTo(Duration.ofHours(26));
        assertThat(ConfigType.parseDuration("30d")).isEqualTo(Duration.ofDays(30));
        assertThat(ConfigType.parseDuration("PT15M")).isEqualTo(Duration.ofMinutes(15));
        assertThat(ConfigType.parseDuration("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThatThrownBy(() -> ConfigType.parseDuration("a while")).hasMessageContaining("expected a duration");
    }
}
