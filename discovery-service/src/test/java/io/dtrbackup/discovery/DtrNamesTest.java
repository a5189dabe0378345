package io.dtrbackup.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DtrNamesTest {
    private static final Pattern ENGINE_FILTER = Pattern.compile(DtrNames.CONTAINER_FILTER);

    @ParameterizedTest
    @CsvSource(nullValues = "null", value = {
        "dtr-rethinkdb-a1640e1c15b6, null, rethinkdb, a1640e1c15b6",
        "/dtr-api-a1640e1c15b6, null, api, a1640e1c15b6",
        "node-1/dtr-api-a1640e1c15b6, node-1, api, a1640e1c15b6",
        "/node-1/dtr-registry-0123456789ab, node-1, registry, 0123456789ab",
        "/ip-10-0-0-1.ec2.internal/dtr-notary-server-a1640e1c15b6, ip-10-0-0-1.ec2.internal, notary-server, a1640e1c15b6",
    })
    void parsesNamesWithAndWithoutTheNodePrefix(String name, String node, String component, String replica) {
        DtrNames.ContainerName parsed = DtrNames.container(name).orElseThrow();
        assertThat(parsed.node()).isEqualTo(node);
        assertThat(parsed.component()).isEqualTo(component);
        assertThat(parsed.replicaId()).isEqualTo(replica);
        assertThat(ENGINE_FILTER.matcher(name).find()).as("the engine-side filter lets it through").isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "dtr-api-A1640E1C15B6", "dtr-api-a1640e1c15b", "dtr-api-a1640e1c15b6a", "mydtr-api-a1640e1c15b6",
        "dtr-api-a1640e1c15b6-old", "a/b/dtr-api-a1640e1c15b6", "dtr-a1640e1c15b6", "dtr-api-a1640e1c15b6/x",
        "/dtr-sim-helper-sim0011aabbccdd-01020304", "registry"
    })
    void rejectsLookAlikes(String name) {
        assertThat(DtrNames.container(name)).isEmpty();
        assertThat(ENGINE_FILTER.matcher(name).find()).as("anchored engine filter").isFalse();
    }

    @ParameterizedTest
    @CsvSource(nullValues = "null", value = {
        "dtr-registry-a1640e1c15b6, null, dtr-registry-a1640e1c15b6, false",
        "dtr-registry-nfs-a1640e1c15b6, null, dtr-registry-nfs-a1640e1c15b6, true",
        "node-2/dtr-registry-nfs-a1640e1c15b6, node-2, dtr-registry-nfs-a1640e1c15b6, true",
    })
    void parsesRegistryVolumes(String name, String node, String bare, boolean nfs) {
        DtrNames.VolumeName v = DtrNames.volume(name).orElseThrow();
        assertThat(v.node()).isEqualTo(node);
        assertThat(v.name()).isEqualTo(bare);
        assertThat(v.nfs()).isEqualTo(nfs);
        assertThat(v.replicaId()).isEqualTo("a1640e1c15b6");
        assertThat(name).contains(DtrNames.VOLUME_FILTER);
    }

    @ParameterizedTest
    @ValueSource(strings = {"dtr-registry-a1640e1c15b6-backup", "my-dtr-registry-a1640e1c15b6",
        "dtr-registry-nfs-a1640e1c15b", "dtr-rethink-a1640e1c15b6", "dtr-registry-xyz-a1640e1c15b6"})
    void rejectsOtherVolumes(String name) {
        assertThat(DtrNames.volume(name)).isEmpty();
    }

    @org.junit.jupiter.api.Test
    void takesTheFirstDtrNameAmongAliases() {
        assertThat(DtrNames.container(new String[] {"/other/alias", "/dtr-api-a1640e1c15b6"}))
                .hasValueSatisfying(n -> assertThat(n.component()).isEqualTo("api"));
        assertThat(DtrNames.container((String[]) null)).isEmpty();
    }
}
