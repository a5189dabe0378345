package io.dtrbackup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The embedded stack's command line ({@link EmbeddedStackCli}): demo and stack beside the ops commands,
 * with the help, examples and completion the ops CLI's own tests (cli's CommandLineTest, ScriptingCliTest)
 * require of every command.
 */
class EmbeddedCommandLineTest {
    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cmd = EmbeddedStackCli.commandLine();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        int code = cmd.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"demo", "stack", "backup", "watch", "clusters", "list", "show", "fetch", "verify"})
    void everyCommandHasHelp(String command) {
        Run r = run(command, "--help");
        assertThat(r.code()).isZero();
        assertThat(r.out()).startsWith("Usage: dtr-backup " + command);
    }

    @Test
    void demoAndStackComeFirstAndEveryOpsCommandIsThere() {
        assertThat(EmbeddedStackCli.commandLine().getSubcommands().keySet())
                .startsWith("demo", "stack").containsAll(DtrBackupCli.commandLine().getSubcommands().keySet());
    }

    @Test
    void onlyTheCommandsThatUseAPassphraseOfferItsFlags() {
        CommandLine root = EmbeddedStackCli.commandLine();
        var offering = root.getSubcommands().values().stream()
                .filter(c -> c.getCommandSpec().findOption("--passphrase-file") != null
                        || c.getCommandSpec().findOption("--passphrase-dir") != null
                        || c.getCommandSpec().findOption("--key-id") != null)
                .map(CommandLine::getCommandName).sorted().toList();
        // fetch decrypts with it; stack hands it to its embedded crypto and verify services.
        assertThat(offering).containsExactly("fetch", "stack");
    }

    @ParameterizedTest
    @ValueSource(strings = {"demo", "stack"})
    void theHelpEndsWithAnExampleAndTheCompletionKnowsEveryOption(String command) {
        CommandLine c = EmbeddedStackCli.commandLine().getSubcommands().get(command);
        String usage = c.getUsageMessage(CommandLine.Help.Ansi.OFF);
        String example = usage.substring(usage.lastIndexOf("Example:"));
        assertThat(example).as("'%s --help' shows a command line to copy", command).contains("dtr-backup " + command);
        for (String line : example.split("\n")) {
            assertThat(line.length()).as("'%s --help': an example line wider than the help (80 columns): %s", command, line)
                    .isLessThanOrEqualTo(80);
        }
        for (CompletionCommand.Shell shell : CompletionCommand.Shell.values()) {
            Run r = run("completion", shell.name());
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.out()).as("%s completion knows the command '%s'", shell, command)
                    .containsPattern("local cmds\\d+=\\((\\S+ )*" + command + "\\)");
            for (OptionSpec o : c.getCommandSpec().options()) {
                for (String name : o.names()) {
                    assertThat(r.out()).as("%s completion knows '%s %s'", shell, command, name).contains("'" + name + "'");
                }
            }
        }
    }
}
