package io.dtrbackup.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code ./dtr-backup}: the ops surface of dtr-backup. Exit codes in {@link ExitCodes}.
 * No static logger here: the log file location must be set before logback starts.
 */
@Command(name = "dtr-backup", mixinStandardHelpOptions = true, versionProvider = DtrBackupCli.Version.class,
        description = "Event-driven, encrypted, verified backups of Docker Trusted Registry clusters.%n"
                + "Start with 'demo' (everything embedded), or 'stack --clusters FILE' and then 'backup --wait'.",
        footer = {"", "Exit codes: 0 ok/completed, 1 error, 2 failed/rejected, 3 partially failed, 4 timed out, "
                + "5 no Docker engine, 6 integrity check failed, 64 bad command line.",
            "Logs: $DTR_BACKUP_CLI_LOG (default ${java.io.tmpdir}/dtr-backup-cli.log).",
            "", "Example:", "  ./dtr-backup demo",
            "  ./dtr-backup backup --cluster prod-eu-1 --wait && ./dtr-backup list"})
public final class DtrBackupCli implements Runnable {
    public static final String LOG_ENV = "DTR_BACKUP_CLI_LOG";
    public static final String LOG_PROPERTY = "dtr.backup.cli.log";

    /**
     * The ops commands, in the order the usage lists them. demo and stack are not among them: they
     * embed a broker and an S3 server, and come with the embedded-stack module's jar, whose command
     * line is this one with those two in front.
     */
    private static final List<Class<?>> COMMANDS = List.of(BackupCommand.class, WatchCommand.class,
            ClustersCommand.class, ListCommand.class, ShowCommand.class, FetchCommand.class, VerifyCommand.class,
            BoardCommand.class, CompletionCommand.class, CommandLine.HelpCommand.class);

    /** The commands only the embedded stack's jar has: an unknown command of these names says where they are. */
    private static final Set<String> EMBEDDED_COMMANDS = Set.of("demo", "stack");

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        useLogFile();
        System.exit(commandLine().execute(args));
    }

    /** Points logback (logback.xml) at {@code $DTR_BACKUP_CLI_LOG}; must run before the first logger is made. */
    public static void useLogFile() {
        String log = System.getenv(LOG_ENV);
        if (System.getProperty(LOG_PROPERTY) == null) {
            System.setProperty(LOG_PROPERTY, log != null && !log.isBlank() ? log
                    : Path.of(System.getProperty("java.io.tmpdir"), "dtr-backup-cli.log").toString());
        }
    }

    /** The configured command line; tests call {@code execute} on it with their own writers. */
    public static CommandLine commandLine() {
        return commandLine(List.of());
    }

    /**
     * The command line with {@code embeddedCommands} (command objects or classes) listed first, before
     * the ops commands: how the embedded stack's jar adds demo and stack.
     */
    public static CommandLine commandLine(List<Object> embeddedCommands) {
        CommandLine cmd = new CommandLine(new DtrBackupCli());
        embeddedCommands.forEach(cmd::addSubcommand);
        COMMANDS.forEach(cmd::addSubcommand);
        // picocli's own 'help' command: its example is given here, as its class is not ours to annotate.
        cmd.getSubcommands().get("help").getCommandSpec().usageMessage()
                .footer("", "Example:", "  ./dtr-backup help backup");
        cmd.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            PrintWriter err = commandLine.getErr();
            if (e instanceof CliException c) {
                err.println("error: " + c.getMessage());
                err.flush();
                return c.exitCode();
            }
            org.slf4j.LoggerFactory.getLogger(DtrBackupCli.class).error("{} failed", commandLine.getCommandName(), e);
            err.println("error: " + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()));
            err.println("(details in the log: " + System.getProperty(LOG_PROPERTY, "the CLI log") + ")");
            err.flush();
            return ExitCodes.ERROR;
        });
        cmd.setParameterExceptionHandler((e, args) -> {
            CommandLine c = e.getCommandLine();
            PrintWriter err = c.getErr();
            err.println("error: " + e.getMessage());
            if (e instanceof CommandLine.UnmatchedArgumentException u && c == cmd && !u.getUnmatched().isEmpty()
                    && EMBEDDED_COMMANDS.contains(u.getUnmatched().get(0))) {
                err.println(u.getUnmatched().get(0) + " runs the embedded stack, which this jar leaves out: "
                        + "./dtr-backup " + u.getUnmatched().get(0) + " runs it from the embedded-stack module's jar.");
            }
            if (e instanceof CommandLine.UnmatchedArgumentException u && c.getCommand() instanceof VerifyCommand
                    && u.getUnmatched().stream().anyMatch(a -> a.startsWith("--passphrase") || a.startsWith("--key-id"))) {
                err.println(VerifyCommand.NO_PASSPHRASE);
            }
            err.println("Run '" + c.getCommandSpec().qualifiedName() + " --help' for the options.");
            err.flush();
            return ExitCodes.USAGE;
        });
        return cmd;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = DtrBackupCli.class.getPackage().getImplementationVersion();
            return new String[] {"dtr-backup " + (v == null ? "(development build)" : v)};
        }
    }
}
