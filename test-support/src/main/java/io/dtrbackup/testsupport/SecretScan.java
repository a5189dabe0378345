package io.dtrbackup.testsupport;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.net.URLEncoder;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Looks for secrets in text a test collected (exception messages, toString, logs, files). A
 * secret is looked for bare and in the encodings a careless change would write it in, so a check
 * fails on a leak whatever its form; secrets are random and distinctive, so a hit is never chance.
 */
public final class SecretScan {
    private static final SecureRandom RANDOM = new SecureRandom();

    private SecretScan() {
    }

    /** A random secret no code writes by accident: {@code label} plus 24 hex digits. */
    public static String secret(String label) {
        byte[] bytes = new byte[12];
        RANDOM.nextBytes(bytes);
        return label + "-" + HexFormat.of().formatHex(bytes);
    }

    /**
     * The secret and the ways it can show up in text besides itself: URL-encoded, hex (both cases), and base64
     * (standard and URL-safe alphabets) alone or inside a longer encoded string, where its bytes may
     * start at any of the three positions of a base64 group; for each alignment, the characters that
     * depend on the secret's bytes alone are what any such encoding must contain.
     */
    public static Set<String> forms(String secret) {
        return new LinkedHashSet<>(forms(Map.of("secret", secret)).values());
    }

    /** Form name (e.g. "hand-off token (base64, offset 2)") to the text to look for, for each named secret. */
    public static Map<String, String> forms(Map<String, String> secrets) {
        Map<String, String> forms = new LinkedHashMap<>();
        secrets.forEach((name, secret) -> {
            byte[] bytes = secret.getBytes(StandardCharsets.UTF_8);
            forms.put(name, secret);
            String url = URLEncoder.encode(secret, StandardCharsets.UTF_8);
            if (!url.equals(secret)) {
                forms.put(name + " (URL-encoded)", url);
            }
            forms.put(name + " (hex)", HexFormat.of().formatHex(bytes));
            forms.put(name + " (HEX)", HexFormat.of().withUpperCase().formatHex(bytes));
            for (int offset = 0; offset < 3; offset++) {
                // The secret starts at this offset within a 3-byte group: the whole groups after it are its own.
                int skip = (3 - offset) % 3;
                int whole = (bytes.length - skip) / 3 * 3;
                byte[] core = Arrays.copyOfRange(bytes, skip, skip + whole);
                String std = Base64.getEncoder().withoutPadding().encodeToString(core);
                String urlSafe = Base64.getUrlEncoder().withoutPadding().encodeToString(core);
                forms.put(name + " (base64, offset " + offset + ")", std);
                if (!urlSafe.equals(std)) {
                    forms.put(name + " (base64url, offset " + offset + ")", urlSafe);
                }
            }
        });
        forms.values().forEach(f -> {
            if (f.length() < 16) {
                throw new IllegalArgumentException("a secret form this short could match by chance: " + f.length());
            }
        });
        return forms;
    }

    /** The forms of the secrets found in {@code text} (case-insensitive, for upper-case hex); empty when none. */
    public static List<String> foundIn(String text, String... secrets) {
        List<String> found = new ArrayList<>();
        String lower = text.toLowerCase(java.util.Locale.ROOT);
        for (String secret : secrets) {
            for (String form : forms(secret)) {
                if (text.contains(form) || lower.contains(form.toLowerCase(java.util.Locale.ROOT))) {
                    found.add(form);
                }
            }
        }
        return found;
    }

    /** All a throwable shows when printed or logged: its class, messages, causes and suppressed, stack. */
    public static String textOf(Throwable t) {
        StringWriter text = new StringWriter();
        t.printStackTrace(new PrintWriter(text, true));
        return text.toString();
    }
}
