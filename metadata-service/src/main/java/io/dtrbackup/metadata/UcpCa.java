package io.dtrbackup.metadata;

import io.dtrbackup.common.clusters.ClusterSpec;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.time.Duration;

/**
 * UCP's CA certificate for {@code --ucp-ca}: from the cluster's {@code caFile}, or fetched from
 * {@code <ucp url>/ca} (what the seed's {@code curl https://$UCP_URL/ca} does) when the registry
 * says {@code fetchCa}. The fetch uses the JVM's trust store, like curl uses the system's.
 */
final class UcpCa {
    private static final int MAX_PEM_BYTES = 256 * 1024;

    private UcpCa() {
    }

    /** The PEM text, or null when the registry asks for {@code insecureTls} and gives no CA. */
    static String resolve(ClusterSpec spec, Duration fetchTimeout) throws DtrBackupCommand.Refused {
        ClusterSpec.UcpSettings ucp = spec.ucp();
        if (ucp.caFile() != null) {
            return fromFile(spec);
        }
        if (ucp.fetchCa()) {
            return fetch(spec.id(), ucp.url(), fetchTimeout);
        }
        return null;
    }

    private static String fromFile(ClusterSpec spec) throws DtrBackupCommand.Refused {
        String pem;
        try {
            pem = Files.readString(spec.ucp().caFile(), StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new DtrBackupCommand.Refused("UCP CA file " + spec.ucp().caFile() + " of cluster " + spec.id()
                    + " is missing: restore it (UCP's CA, e.g. from curl -k " + spec.ucp().url() + "/ca) or fix "
                    + "ucp.caFile in the cluster registry");
        } catch (IOException e) {
            throw new DtrBackupCommand.Refused("cannot read UCP CA file " + spec.ucp().caFile() + " of cluster "
                    + spec.id() + ": " + e.getClass().getSimpleName() + " " + e.getMessage());
        }
        return check(pem, "UCP CA file " + spec.ucp().caFile() + " of cluster " + spec.id());
    }

    static String fetch(String clusterId, String ucpUrl, Duration timeout) throws DtrBackupCommand.Refused {
        String base = ucpUrl.endsWith("/") ? ucpUrl.substring(0, ucpUrl.length() - 1) : ucpUrl;
        URI uri = URI.create(base + "/ca");
        HttpClient client = HttpClient.newBuilder().connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NEVER).build();
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(timeout).GET().build();
        String what = "UCP CA fetched from " + uri + " for cluster " + clusterId;
        try {
            HttpResponse<byte[]> response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
            if (response.statusCode() != 200) {
                throw new DtrBackupCommand.Refused("fetching the UCP CA from " + uri + " for cluster " + clusterId
                        + " answered HTTP " + response.statusCode() + ": check ucp.url, or set ucp.caFile instead of "
                        + "fetchCa");
            }
            if (response.body().length > MAX_PEM_BYTES) {
                throw new DtrBackupCommand.Refused(what + " is " + response.body().length + " bytes: not a CA");
            }
            return check(new String(response.body(), StandardCharsets.UTF_8), what);
        } catch (IOException e) {
            throw new DtrBackupCommand.Refused("cannot fetch the UCP CA from " + uri + " for cluster " + clusterId
                    + " (" + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage())
                    + "): check that UCP is reachable from dtr-backup, or set ucp.caFile instead of fetchCa");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new DtrBackupCommand.Refused("interrupted fetching the UCP CA from " + uri);
        }
    }

    private static String check(String pem, String what) throws DtrBackupCommand.Refused {
        String trimmed = pem.strip();
        if (trimmed.isEmpty()) {
            throw new DtrBackupCommand.Refused(what + " is empty: it must hold UCP's CA certificate (PEM)");
        }
        if (!trimmed.contains("-----BEGIN CERTIFICATE-----")) {
            throw new DtrBackupCommand.Refused(what + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
        }
        return trimmed + "\n";
    }
}
