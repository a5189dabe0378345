package io.dtrbackup.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "list", mixinStandardHelpOptions = true,
        description = "List stored backups, newest first, from the manifest.json objects in the backup bucket.",
        footer = {"", "Example:", "  ./dtr-backup list --cluster prod-eu-1",
            "  ./dtr-backup list --output json | jq -r '.backups[].backupId'"})
final class ListCommand implements Callable<Integer> {
    @Option(names = "--cluster", paramLabel = "ID", description = "only this cluster")
    String cluster;

    @Mixin
    OutputOptions output;

    @Mixin
    ConnectionOptions connection;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Connection c = connection.resolve();
        List<String> problems = new ArrayList<>();
        List<ManifestView> manifests = new ManifestStore(c.objectStore(), c.layout()).list(cluster, problems);
        if (output.json()) {
            output.print(JsonOutput.ListOutput.of(c.backupBucket(), cluster, manifests, problems));
        } else {
            render(manifests, problems, spec.commandLine().getOut());
        }
        return ExitCodes.OK;
    }

    static void render(List<ManifestView> manifests, List<String> problems, PrintWriter out) {
        if (manifests.isEmpty()) {
            out.println("no backups found" + (problems.isEmpty() ? "" : " that could be read"));
        } else {
            out.println(String.format(Locale.ROOT, "%-32s %-16s %-21s %-8s %-10s %10s  %s", "BACKUP", "CLUSTER",
                    "COMPLETED", "DTR", "STATUS", "SIZE", "ARTIFACTS"));
            for (ManifestView m : manifests) {
                out.println(String.format(Locale.ROOT, "%-32s %-16s %-21s %-8s %-10s %10s  %s", m.backupId(),
                        m.clusterId(), shortTime(m.completedAt()), nz(m.dtrVersion()), nz(m.status()),
                        Render.bytes(m.totalCiphertextBytes()),
                        String.join(",", m.artifacts().stream().map(a -> a.kind().toLowerCase(Locale.ROOT)
                                + (a.isStored() ? "" : "(skipped)")).toList())));
            }
        }
        problems.forEach(p -> out.println("unreadable manifest: " + p));
        out.flush();
    }

    static String shortTime(String iso) {
        if (iso == null) {
            return "-";
        }
        String t = iso.replace('T', ' ');
        int dot = t.indexOf('.');
        return dot > 0 ? t.substring(0, dot) + "Z" : t;
    }

    private static String nz(String s) {
        return s == null ? "-" : s;
    }
}
