package io.dtrbackup.metadata;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Removes secrets from text that leaves the service (stderr tails in events and log lines): the
 * UCP password itself wherever it appears, and whatever follows {@code --ucp-password} or
 * {@code UCP_PASSWORD=} in case a tool echoes its command line or environment.
 */
final class Redaction {
    static final String MASK = "***";
    private static final Pattern PASSWORD_FLAG = Pattern.compile("(--?ucp-password(?:=|\\s+))(\"[^\"]*\"|'[^']*'|\\S+)");
    private static final Pattern PASSWORD_ENV = Pattern.compile("(UCP_PASSWORD\\s*[=:]\\s*)(\"[^\"]*\"|'[^']*'|\\S+)");

    private Redaction() {
    }

    static String redact(String text, char[] password) {
        if (text == null || text.isEmpty()) {
            return text;
        }
        String out = text;
        if (password != null && password.length > 0) {
            out = out.replace(new String(password), MASK);
        }
        out = PASSWORD_FLAG.matcher(out).replaceAll(m -> Matcher.quoteReplacement(m.group(1) + MASK));
        out = PASSWORD_ENV.matcher(out).replaceAll(m -> Matcher.quoteReplacement(m.group(1) + MASK));
        return out;
    }
}
