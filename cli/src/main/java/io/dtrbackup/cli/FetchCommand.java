package io.dtrbackup.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "fetch", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Download a backup and give back its original .tar files, ready for restore.",
            "Each artifact is decrypted streaming; a file appears under its seed name only after the OpenPGP "
                    + "integrity check (MDC) passed and its SHA-256 matched the manifest. Then prints the restore steps."},
        footer = {"", "Example:", "  ./dtr-backup fetch bk-20261125T020000Z-3fa1c2d4 --out /srv/restore"})
final class FetchCommand implements Callable<Integer> {
    @Parameters(paramLabel = "BACKUP_ID")
    String backupId;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "directory for the .tar files")
    Path out;

    @Option(names = "--cluster", paramLabel = "ID", description = "the backup's cluster (faster lookup)")
    String cluster;

    @Option(names = "--overwrite", description = "replace files of the same name in DIR")
    boolean overwrite;

    @Mixin
    ConnectionOptions connection;

    @Mixin
    PassphraseOptions passphrase;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        Connection c = connection.resolve(passphrase);
        var passphrases = c.passphrases();
        var store = c.objectStore();
        ManifestView m = new ManifestStore(store, c.layout()).find(backupId, cluster)
                .orElseThrow(() -> ShowCommand.notFound(backupId, c));
        PrintWriter pw = spec.commandLine().getOut();
        List<Fetcher.Fetched> files = new Fetcher(store, c.layout(), passphrases).fetch(m, out, overwrite,
                (kind, name, expected) -> {
                    pw.println("fetching " + name + (expected >= 0 ? " (" + Render.bytes(expected) + ")" : ""));
                    pw.flush();
                    return n -> { };
                });
        for (Fetcher.Fetched f : files) {
            pw.println("  verified " + f.file() + "  " + Render.bytes(f.size()) + "  sha256 " + f.sha256());
        }
        pw.println();
        Fetcher.restoreSteps(m, files).forEach(pw::println);
        pw.flush();
        return ExitCodes.OK;
    }
}
