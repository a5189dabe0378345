package io.dtrbackup.testsupport;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** DTR/MSR version numbers and the backup flags each one knows. */
public record DtrVersion(int major, int minor, int patch) implements Comparable<DtrVersion> {
    private static final Pattern VERSION = Pattern.compile("(\\d+)\\.(\\d+)\\.(\\d+)(?:[-+].*)?");

    public static DtrVersion parse(String version) {
        Matcher m = VERSION.matcher(version == null ? "" : version);
        if (!m.matches()) {
            throw new IllegalArgumentException("not a DTR version (x.y.z): " + version);
        }
        return new DtrVersion(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)));
    }

    /** DTR 2.8 added {@code --ignore-events-table} and the {@code -online} backup folder. */
    public boolean supportsIgnoreEventsTable() {
        return compareTo(new DtrVersion(2, 8, 0)) >= 0;
    }

    /** MSR 2.9.18 added {@code --ignore-scan-data}. */
    public boolean supportsIgnoreScanData() {
        return compareTo(new DtrVersion(2, 9, 18)) >= 0;
    }

    /** Top folder of the metadata tar: {@code dtr-backup-v<v>-online/} for online backups on 2.8+. */
    public static String topFolder(String version, boolean online) {
        return "dtr-backup-v" + version + (online && parse(version).supportsIgnoreEventsTable() ? "-online" : "") + "/";
    }

    @Override
    public int compareTo(DtrVersion o) {
        int c = Integer.compare(major, o.major);
        if (c == 0) {
            c = Integer.compare(minor, o.minor);
        }
        return c != 0 ? c : Integer.compare(patch, o.patch);
    }
}
