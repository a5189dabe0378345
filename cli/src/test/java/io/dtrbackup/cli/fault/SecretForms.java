package io.dtrbackup.cli.fault;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The ways a secret can show up in text besides itself: URL-encoded, hex, and base64 (standard and
 * URL-safe alphabets) both alone and inside a longer encoded string, where its bytes may start at any of
 * the three positions of a base64 group; for each alignment the characters that depend on the secret's
 * bytes alone are what any such encoding must contain.
 */
final class SecretForms {
    private SecretForms() {
    }

    /** Form name ("hand-off token (base64, offset 2)") to the text to look for. */
    static Map<String, String> of(Map<String, String> secrets) {
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
}
