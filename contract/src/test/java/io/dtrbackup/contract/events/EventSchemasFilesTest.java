package io.dtrbackup.contract.events;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * docs/schemas/ is EventSchemas' output, byte for byte: a record changed without regenerating, a
 * schema edited by hand, a file missing or left over fails here. Regenerate with
 * {@code mvn -pl common -am test -Dtest=EventSchemasFilesTest -Dsurefire.failIfNoSpecifiedTests=false -Dschemas.write=true}.
 */
class EventSchemasFilesTest {
    static final Path DIR = Path.of("..", "docs", "schemas");
    static final String REGENERATE = "regenerate them: mvn -pl common -am test -Dtest=EventSchemasFilesTest "
            + "-Dsurefire.failIfNoSpecifiedTests=false -Dschemas.write=true";

    @Test
    void committedSchemasAreTheGeneratedOnes() throws IOException {
        Map<String, com.fasterxml.jackson.databind.node.ObjectNode> files = EventSchemas.files();
        if (Boolean.getBoolean("schemas.write")) {
            deleteSchemaFiles();
            EventSchemas.write(DIR);
        }
        List<String> problems = new ArrayList<>();
        for (var file : files.entrySet()) {
            Path path = DIR.resolve(file.getKey());
            if (!Files.exists(path)) {
                problems.add("missing: docs/schemas/" + file.getKey());
            } else if (!Files.readString(path, StandardCharsets.UTF_8).equals(EventSchemas.render(file.getValue()))) {
                problems.add("differs from the records: docs/schemas/" + file.getKey());
            }
        }
        Set<String> extra = new TreeSet<>(committed());
        extra.removeAll(files.keySet());
        extra.forEach(name -> problems.add("not generated (left over): docs/schemas/" + name));
        assertThat(problems).as("docs/schemas/ is generated from the event records; " + REGENERATE).isEmpty();
    }

    private static List<String> committed() throws IOException {
        if (!Files.isDirectory(DIR)) {
            return List.of();
        }
        try (Stream<Path> walk = Files.walk(DIR)) {
            return walk.filter(p -> p.toString().endsWith(".json"))
                    .map(p -> DIR.relativize(p).toString().replace('\\', '/')).toList();
        }
    }

    private static void deleteSchemaFiles() throws IOException {
        for (String name : committed()) {
            Files.delete(DIR.resolve(name));
        }
    }
}
