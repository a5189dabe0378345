package io.dtrbackup.metadata;

import io.dtrbackup.contract.events.BackupOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code docker/dtr backup} command line, built the way the seed procedure runs it. The UCP
 * password is never an argument: it goes into the container's {@code UCP_PASSWORD} environment.
 *
 * @param caPem the UCP CA passed as {@code --ucp-ca}; null only with {@code insecureTls}
 */
record DtrBackupCommand(String ucpUrl, String ucpUsername, String caPem, boolean insecureTls, String replicaId,
        String dtrVersion, BackupOptions options) {

    /** DTR 2.8.0 added {@code --ignore-events-table}. */
    static final int[] IGNORE_EVENTS_SINCE = {2, 8, 0};
    /** MSR 2.9.18 added {@code --ignore-scan-data}. */
    static final int[] IGNORE_SCAN_SINCE = {2, 9, 18};
    private static final Pattern VERSION = Pattern.compile("(\\d+)\\.(\\d+)\\.(\\d+)");

    /** The request cannot be run as asked (a flag this DTR version lacks, no CA); never retried. */
    static final class Refused extends Exception {
        Refused(String message) {
            super(message);
        }
    }

    /** The container command: {@code backup} and its flags, no secret. */
    List<String> args() throws Refused {
        if (caPem == null && !insecureTls) {
            throw new Refused("no UCP CA: give ucp.caFile (or fetchCa: true) in the cluster registry");
        }
        if (options.ignoreEventsTable() && !atLeast(dtrVersion, IGNORE_EVENTS_SINCE)) {
            throw new Refused("--ignore-events-table needs DTR 2.8.0 or later, the replica runs DTR " + dtrVersion
                    + ": request the backup without ignoreEventsTable");
        }
        if (options.ignoreScanData() && !atLeast(dtrVersion, IGNORE_SCAN_SINCE)) {
            throw new Refused("--ignore-scan-data needs MSR 2.9.18 or later, the replica runs DTR " + dtrVersion
                    + ": request the backup without ignoreScanData");
        }
        List<String> args = new ArrayList<>();
        args.add("backup");
        args.add("--ucp-url");
        args.add(ucpUrl);
        args.add("--ucp-username");
        args.add(ucpUsername);
        if (insecureTls) {
            args.add("--ucp-insecure-tls");
        } else {
            args.add("--ucp-ca");
            args.add(caPem);
        }
        args.add("--existing-replica-id");
        args.add(replicaId);
        if (options.offline()) {
            args.add("--offline-backup");
        }
        if (options.ignoreEventsTable()) {
            args.add("--ignore-events-table");
        }
        if (options.ignoreScanData()) {
            args.add("--ignore-scan-data");
        }
        return List.copyOf(args);
    }

    /** The arguments for a log line: the CA is public but long, so only its size is shown. */
    static String describe(List<String> args) {
        List<String> shown = new ArrayList<>(args);
        int ca = shown.indexOf("--ucp-ca");
        if (ca >= 0 && ca + 1 < shown.size()) {
            shown.set(ca + 1, "<CA PEM, " + shown.get(ca + 1).length() + " chars>");
        }
        return String.join(" ", shown);
    }

    static boolean atLeast(String version, int[] minimum) {
        Matcher m = VERSION.matcher(version == null ? "" : version);
        if (!m.lookingAt()) {
            return false;
        }
        for (int i = 0; i < 3; i++) {
            int part = Integer.parseInt(m.group(i + 1));
            if (part != minimum[i]) {
                return part > minimum[i];
            }
        }
        return true;
    }
}
