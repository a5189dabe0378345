package io.dtrbackup.testsupport;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * The UCP a simulated DTR belongs to. Nothing listens on {@code url} (the {@code .invalid} TLD
 * never resolves); the stand-in {@code docker/dtr} only compares what it is given with these
 * values. {@code caPem} is PEM-shaped random bytes, not a parseable certificate.
 */
public record SimulatedUcp(String url, String username, String password, String caPem) {

    public SimulatedUcp {
        if (url == null || url.isBlank() || username == null || username.isBlank() || password == null
                || password.isEmpty() || caPem == null || caPem.isBlank()) {
            throw new IllegalArgumentException("url, username, password and caPem are required");
        }
    }

    /** A fresh UCP with random URL, user, password and CA. */
    public static SimulatedUcp random() {
        SecureRandom random = new SecureRandom();
        HexFormat hex = HexFormat.of();
        String id = hex.formatHex(random.generateSeed(4));
        String body = Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(random.generateSeed(480));
        String pem = "-----BEGIN CERTIFICATE-----\n" + body + "\n-----END CERTIFICATE-----\n";
        return new SimulatedUcp("https://ucp-" + id + ".dtr-sim.invalid", "admin-" + id,
                "pw-" + hex.formatHex(random.generateSeed(12)), pem);
    }

    /** The URL the way the stand-in compares it: scheme added if missing, one trailing slash dropped. */
    static String normalizeUrl(String url) {
        String u = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        return u.contains("://") ? u : "https://" + u;
    }

    /** The CA the way the stand-in compares it: all blanks and line breaks removed. */
    static String normalizeCa(String pem) {
        return pem.replaceAll("[ \t\r\n]", "");
    }

    @Override
    public String toString() {
        return "SimulatedUcp[url=" + url + ", username=" + username + ", password=***]";
    }
}
