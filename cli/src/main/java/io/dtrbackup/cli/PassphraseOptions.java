package io.dtrbackup.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * The passphrase flags, a mixin of the commands that decrypt with the CLI's own copy of the passphrase
 * ({@code fetch}) and of no other: a command must not accept a flag it would ignore ({@code verify}
 * asks verify-service, which decrypts with its own). Resolved with the connection settings, first
 * found wins: the flag, {@code DTR_BACKUP_PASSPHRASE_FILE} / {@code _DIR} / {@code DTR_BACKUP_ACTIVE_KEY_ID},
 * the connection file.
 */
public final class PassphraseOptions {
    /** No flags given: for the commands that do not offer them. */
    static final PassphraseOptions NONE = new PassphraseOptions();

    @Option(names = "--passphrase-file", paramLabel = "FILE",
            description = "backup passphrase file, one line (env DTR_BACKUP_PASSPHRASE_FILE); its key ID is --key-id")
    Path passphraseFile;

    @Option(names = "--passphrase-dir", paramLabel = "DIR",
            description = "directory of passphrase files named by key ID (env DTR_BACKUP_PASSPHRASE_DIR)")
    Path passphraseDir;

    @Option(names = "--key-id", paramLabel = "ID",
            description = "key ID of --passphrase-file (env DTR_BACKUP_ACTIVE_KEY_ID, default 'default')")
    String keyId;
}
