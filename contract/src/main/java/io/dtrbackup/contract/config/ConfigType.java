package io.dtrbackup.contract.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.function.Function;

/** How a configuration value is parsed from text. */
public record ConfigType<T>(String name, Function<String, T> parser) {

    public static final ConfigType<String> STRING = new ConfigType<>("string", s -> s);
    public static final ConfigType<Integer> INT = new ConfigType<>("int", Integer::parseInt);
    public static final ConfigType<Long> LONG = new ConfigType<>("long", Long::parseLong);
    public static final ConfigType<Boolean> BOOLEAN = new ConfigType<>("boolean", ConfigType::parseBoolean);
    public static final ConfigType<Duration> DURATION = new ConfigType<>("duration", ConfigType::parseDuration);
    /** A path that must exist when given. */
    public static final ConfigType<Path> EXISTING_PATH = new ConfigType<>("path", ConfigType::existingPath);
    /** A path that may not exist yet (an output). */
    public static final ConfigType<Path> PATH = new ConfigType<>("path", Path::of);

    public T parse(String text) {
        return parser.apply(text.trim());
    }

    static boolean parseBoolean(String text) {
        return switch (text.toLowerCase(Locale.ROOT)) {
            case "true", "yes", "1", "on" -> true;
            case "false", "no", "0", "off" -> false;
            default -> throw new IllegalArgumentException("expected true or false, got '" + text + "'");
        };
    }

    /** ISO-8601 ({@code PT26H}, {@code P30D}) or a number with a unit: {@code 500ms}, {@code 30s}, {@code 15m}, {@code 26h}, {@code 30d}. */
    public static Duration parseDuration(String text) {
        String t = text.trim();
        if (t.startsWith("P") || t.startsWith("p")) {
            return Duration.parse(t.toUpperCase(Locale.ROOT));
        }
        var m = java.util.regex.Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)").matcher(t.toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("expected a duration like 30s, 15m, 26h, 30d or PT26H, got '" + text + "'");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
        };
    }

    static Path existingPath(String text) {
        Path path = Path.of(text);
        if (!Files.exists(path)) {
            throw new IllegalArgumentException("file " + path + " does not exist");
        }
        return path;
    }

    public static <T> ConfigType<T> of(String name, Function<String, T> parser) {
        return new ConfigType<>(name, parser);
    }
}
