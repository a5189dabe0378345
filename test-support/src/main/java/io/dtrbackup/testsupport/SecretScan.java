package io.dtrbackup.testsupport;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
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

    /** The secret, and its UTF-8 bytes in base64 (standard, URL-safe, unpadded) and hex. */
    public static Set<String> forms(String secret) {
        byte[] utf8 = secret.getBytes(StandardCharsets.UTF_8);
        Set<String> forms = new LinkedHashSet<>();
        forms.add(secret);
        forms.add(Base64.getEncoder().encodeToString(utf8));
        forms.add(Base64.getEncoder().withoutPadding().encodeToString(utf8));
        forms.add(Base64.getUrlEncoder().withoutPadding().encodeToString(utf8));
        forms.add(HexFormat.of().formatHex(utf8));
        return forms;
    }

    /** The forms of the secrets found in {@code text} (case-insensitive for hex); empty when none. */
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
