package io.dtrbackup.contract.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;

/**
 * Typed, validated configuration of one service. Values come from, in order of precedence: the
 * environment ({@code DTR_BACKUP_<KEY>}), then a properties file named by
 * {@code DTR_BACKUP_CONFIG_FILE} (keys without the prefix), then each parameter's default.
 * Every problem is reported at once, at start-up.
 */
public final class ServiceConfig {
    public static final String CONFIG_FILE_ENV = ConfigParameter.ENV_PREFIX + "CONFIG_FILE";

    private final Map<ConfigParameter<?>, Object> values;
    private final Map<ConfigParameter<?>, String> sources;

    private ServiceConfig(Map<ConfigParameter<?>, Object> values, Map<ConfigParameter<?>, String> sources) {
        this.values = values;
        this.sources = sources;
    }

    /** Builds the config from the process environment (and the config file it may name). */
    public static ServiceConfig fromEnvironment(Collection<ConfigParameter<?>> parameters) {
        return fromMap(System.getenv(), parameters);
    }

    /**
     * Builds the config from an environment-like map ({@code DTR_BACKUP_*} keys); tests pass
     * {@code Map.of(...)}.
     */
    public static ServiceConfig fromMap(Map<String, String> env, Collection<ConfigParameter<?>> parameters) {
        Map<String, String> file = new HashMap<>();
        String configFile = env.get(CONFIG_FILE_ENV);
        if (configFile != null && !configFile.isBlank()) {
            file.putAll(readPropertiesFile(Path.of(configFile.trim())));
        }
        Map<ConfigParameter<?>, Object> values = new LinkedHashMap<>();
        Map<ConfigParameter<?>, String> sources = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        for (ConfigParameter<?> p : parameters) {
            String text = env.get(p.envName());
            String source = "env " + p.envName();
            if (text == null || text.isBlank()) {
                text = file.get(p.key());
                source = "file " + configFile;
            }
            if (text == null || text.isBlank()) {
                text = p.defaultValue();
                source = "default";
            }
            if (text == null) {
                if (p.required()) {
                    problems.add(p.envName() + " is required: " + p.doc());
                }
                continue;
            }
            try {
                values.put(p, p.type().parse(text));
                sources.put(p, source);
            } catch (RuntimeException e) {
                problems.add(p.envName() + " (" + source + "): " + e.getMessage());
            }
        }
        if (!problems.isEmpty()) {
            throw new ConfigException("invalid configuration:\n  - " + String.join("\n  - ", problems));
        }
        return new ServiceConfig(values, sources);
    }

    @SuppressWarnings("unchecked")
    public <T> T get(ConfigParameter<T> parameter) {
        if (!values.containsKey(parameter) && parameter.required()) {
            throw new ConfigException(parameter.envName() + " was not declared for this service");
        }
        return (T) values.get(parameter);
    }

    public boolean has(ConfigParameter<?> parameter) {
        return values.get(parameter) != null;
    }

    /**
     * The effective configuration, one line per key with its source, for the start-up log.
     * Holds no secret: secrets are only ever configured as file paths.
     */
    public String describe() {
        return values.entrySet().stream()
                .map(e -> "  " + e.getKey().envName() + "=" + e.getValue() + "  (" + sources.get(e.getKey()) + ")")
                .collect(Collectors.joining("\n"));
    }

    /** Reads a secret from a file: trailing newlines stripped, never logged. */
    public static char[] readSecret(Path file) {
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            int end = text.length();
            while (end > 0 && (text.charAt(end - 1) == '\n' || text.charAt(end - 1) == '\r')) {
                end--;
            }
            if (end == 0) {
                throw new ConfigException("secret file " + file + " is empty");
            }
            return text.substring(0, end).toCharArray();
        } catch (IOException e) {
            throw new ConfigException("cannot read secret file " + file + ": " + e.getClass().getSimpleName());
        }
    }

    private static Map<String, String> readPropertiesFile(Path path) {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
            properties.load(reader);
        } catch (IOException e) {
            throw new ConfigException("cannot read config file " + path + " (" + CONFIG_FILE_ENV + "): " + e.getMessage());
        }
        Map<String, String> map = new HashMap<>();
        properties.forEach((k, v) -> {
            String key = k.toString().trim();
            map.put(key.startsWith(ConfigParameter.ENV_PREFIX) ? key.substring(ConfigParameter.ENV_PREFIX.length()) : key,
                    v.toString());
        });
        return map;
    }
}
