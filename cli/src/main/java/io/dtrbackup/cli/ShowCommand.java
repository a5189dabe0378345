package io.dtrbackup.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "show", mixinStandardHelpOptions = true,
        description = "Show one backup's manifest: replica, DTR version, each artifact with its object key, sizes and SHA-256.",
        footer = {"", "Example:", "  ./dtr-backup show bk-20261125T020000Z-3fa1c2d4",
            "  ./dtr-backup show bk-20261125T020000Z-3fa1c2d4 --output json |",
            "      jq -r '.backup.artifacts[].objectKey'"})
final class ShowCommand implements Callable<Integer> {
    @Parameters(paramLabel = "BACKUP_ID", description = "e.g. bk-20261125T020000Z-3fa1c2d4")
    String backupId;

    @Option(names = "--cluster", paramLabel = "ID", description = "the backup's cluster (faster lookup)")
    String cluster;

    @Option(names = "--json", description = "print the manifest.json as stored (verify-service's format; "
            + "for the CLI's stable shape use --output json)")
    boolean json;

    @Mixin
    OutputOptions output;

    @Mixin
    ConnectionOptions connection;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (json && output.json()) {
            throw new ParameterException(spec.commandLine(), "--json (the manifest as stored) and --output json "
                    + "(the CLI's stable shape) exclude each other: pick one");
        }
        Connection c = connection.resolve();
        ManifestView m = new ManifestStore(c.objectStore(), c.layout()).find(backupId, cluster)
                .orElseThrow(() -> notFound(backupId, c));
        PrintWriter out = spec.commandLine().getOut();
        if (output.json()) {
            output.print(JsonOutput.ShowOutput.of(c.backupBucket(), c.s3Endpoint(), m));
            return ExitCodes.OK;
        }
        if (json) {
            // the object's own bytes: a field this CLI does not know is shown too
            try (java.io.InputStream in = c.objectStore().get(c.backupBucket(), m.key())) {
                out.println(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip());
            } catch (java.io.IOException e) {
                throw new CliException("cannot read " + m.key() + " from bucket " + c.backupBucket() + ": "
                        + e.getMessage());
            }
        } else {
            render(m, c.s3Endpoint(), c.backupBucket(), out);
        }
        out.flush();
        return ExitCodes.OK;
    }

    static CliException notFound(String backupId, Connection c) {
        return new CliException("no manifest for backup " + backupId + " in bucket " + c.backupBucket() + " at "
                + c.s3Endpoint() + ": a backup gets its manifest only once it COMPLETED or PARTIALLY_FAILED; "
                + "see './dtr-backup list' and './dtr-backup watch'");
    }

    static void render(ManifestView m, String endpoint, String bucket, PrintWriter out) {
        out.println("backup     " + m.backupId());
        out.println("cluster    " + m.clusterId());
        out.println("status     " + (m.status() == null ? "-" : m.status()));
        out.println("completed  " + (m.completedAt() == null ? "-" : m.completedAt()));
        out.println("replica    " + (m.replicaId() == null ? "-" : m.replicaId()) + ", DTR "
                + (m.dtrVersion() == null ? "-" : m.dtrVersion()));
        if (m.trigger() != null) {
            out.println("trigger    " + m.trigger());
        }
        out.println("manifest   s3://" + bucket + "/" + m.key() + "  (" + endpoint + ")");
        out.println("artifacts");
        for (ManifestView.Artifact a : m.artifacts()) {
            out.println("  " + a.kind().toLowerCase(java.util.Locale.ROOT) + (a.status() == null ? "" : "  " + a.status()));
            if (a.artifactName() != null) {
                out.println("    file       " + a.artifactName());
            }
            if (a.objectKey() != null) {
                out.println("    object     s3://" + bucket + "/" + a.objectKey());
            }
            if (a.plaintextSize() >= 0) {
                out.println("    plaintext  " + Render.bytes(a.plaintextSize()) + "  sha256 " + a.plaintextSha256());
            }
            if (a.ciphertextSize() >= 0) {
                out.println("    encrypted  " + Render.bytes(a.ciphertextSize()) + (a.keyId() == null ? "" : "  key ID " + a.keyId()));
            }
        }
        var notes = m.notes();
        if (!notes.isEmpty()) {
            out.println("not in this backup");
            notes.forEach(n -> out.println("  " + n));
        }
    }
}
