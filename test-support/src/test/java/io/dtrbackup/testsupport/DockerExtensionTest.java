package io.dtrbackup.testsupport;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionConfigurationException;

class DockerExtensionTest {

    @Test
    void noEngineFailsLoudlyNamingTheSetupScript() {
        assertThatThrownBy(() -> DockerExtension.startOrFail("unix:///nonexistent/docker.sock"))
                .isInstanceOf(ExtensionConfigurationException.class)
                .hasMessageContaining("deploy/setup-docker-engine.sh")
                .hasMessageContaining("unix:///nonexistent/docker.sock");
    }
}
