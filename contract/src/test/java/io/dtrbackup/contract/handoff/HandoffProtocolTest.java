package io.dtrbackup.contract.handoff;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.dtrbackup.contract.events.ArtifactKind;
import org.junit.jupiter.api.Test;

/** The path the producer builds is the path the endpoint parses, and a bad one says what is wrong. */
class HandoffProtocolTest {

    @Test
    void thePathTheProducerBuildsParsesBackToItsTarget() {
        var target = new HandoffProtocol.Target("prod-eu-1", "bk-1", ArtifactKind.IMAGES, "dtr-image-backup-x.tar");

        assertThat(target.path()).isEqualTo("/v1/handoff/prod-eu-1/bk-1/images/dtr-image-backup-x.tar");
        assertThat(HandoffProtocol.Target.parse(target.path().substring(HandoffProtocol.PATH.length())))
                .isEqualTo(target);
    }

    @Test
    void aBadPathIsRefusedWithWhatIsWrong() {
        assertThatThrownBy(() -> HandoffProtocol.Target.parse("c/b/images")).hasMessageContaining("expected /v1/handoff/");
        assertThatThrownBy(() -> HandoffProtocol.Target.parse("c/b/blobs/x.tar")).hasMessage("unknown artifact kind: blobs");
        assertThatThrownBy(() -> HandoffProtocol.Target.parse("c/b/images/..")).hasMessage("invalid artifact name: ..");
    }
}
