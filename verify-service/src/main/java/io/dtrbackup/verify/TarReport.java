package io.dtrbackup.verify;

import java.util.List;

/**
 * What walking a decrypted artifact's tar found.
 *
 * @param size plaintext bytes read (the whole stream, tar trailer included)
 * @param topFolder the first path component of the first entry (metadata: {@code dtr-backup-v2.9.4/})
 * @param tables metadata: the {@code rethink/<table>} folders found, in archive order
 * @param documents metadata: documents parsed as JSON
 * @param blobsChecked images: registry blobs re-hashed
 * @param problems content problems found (bad blob digests, unparsable documents, damaged tar)
 */
public record TarReport(long size, long entryCount, String listingSha256, String topFolder,
        List<String> tables, long documents, long blobsChecked, List<String> problems) {

    public TarReport {
        tables = List.copyOf(tables);
        problems = List.copyOf(problems);
    }
}
