package io.dtrbackup.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * What scripts and shells rely on, checked against the command model itself (so a command added
 * later is covered without editing this test): every command's help has an example, the
 * completion script knows every command and option, and json mode keeps stdout for the document.
 */
class ScriptingCliTest {
    @TempDir
    Path tmp;

    /** The root and every command under it, depth first. */
    static List<CommandLine> allCommands() {
        List<CommandLine> all = new ArrayList<>();
        collect(DtrBackupCli.commandLine(), all);
        return all;
    }

    private static void collect(CommandLine c, List<CommandLine> into) {
        into.add(c);
        c.getSubcommands().values().stream().distinct().forEach(sub -> collect(sub, into));
    }

    @Test
    void everyCommandsHelpEndsWithAnExample() {
        List<CommandLine> commands = allCommands();
        assertThat(commands).hasSizeGreaterThan(10);
        for (CommandLine c : commands) {
            String usage = c.getUsageMessage(CommandLine.Help.Ansi.OFF);
            String footer = String.join("\n", c.getCommandSpec().usageMessage().footer());
            assertThat(footer).as("the footer of '%s --help'", c.getCommandSpec().qualifiedName()).contains("Example:");
            String example = usage.substring(usage.lastIndexOf("Example:"));
            assertThat(example).as("'%s --help' shows a command line to copy", c.getCommandSpec().qualifiedName())
                    .contains("dtr-backup ");
            for (String line : example.split("\n")) {
                assertThat(line.length()).as("'%s --help': an example line wider than the help (80 columns): %s",
                        c.getCommandSpec().qualifiedName(), line).isLessThanOrEqualTo(80);
            }
        }
    }

    @Test
    void theCompletionScriptNamesEveryCommandAndOption() {
        CommandLine root = DtrBackupCli.commandLine();
        for (CompletionCommand.Shell shell : CompletionCommand.Shell.values()) {
            CommandLineTest.Run r = CommandLineTest.run("completion", shell.name());
            assertThat(r.code()).as(r.err()).isZero();
            assertThat(r.err()).isEmpty();
            String script = r.out();
            assertThat(script).contains("complete -F _complete_dtr-backup");
            for (CommandLine c : allCommands()) {
                if (c.getParent() != null) {
                    assertThat(script).as("%s completion knows the command '%s'", shell, c.getCommandName())
                            .containsPattern("local cmds\\d+=\\((\\S+ )*" + c.getCommandName() + "\\)");
                }
                for (OptionSpec o : c.getCommandSpec().options()) {
                    for (String name : o.names()) {
                        assertThat(script).as("%s completion knows '%s %s'", shell, c.getCommandSpec().qualifiedName(), name)
                                .contains("'" + name + "'");
                    }
                    if (o.completionCandidates() != null) {
                        o.completionCandidates().forEach(v -> assertThat(script)
                                .as("%s completion offers %s %s", shell, name(o), v).contains("\"" + v + "\""));
                    }
                }
            }
        }
        assertThat(root.getSubcommands()).containsKey("completion");
    }

    private static String name(OptionSpec o) {
        return o.longestName();
    }

    @Test
    void theZshScriptSetsUpZshsBashBridgeItself() {
        String zsh = CommandLineTest.run("completion", "zsh").out();
        assertThat(zsh).contains("bashcompinit").contains("autoload -U +X compinit");
    }

    @Test
    void anUnknownShellIsAUsageError() {
        CommandLineTest.Run r = CommandLineTest.run("completion", "fish");
        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("bash").contains("zsh");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void anUnknownOutputFormatIsAUsageErrorThatNamesTheFormats() {
        CommandLineTest.Run r = CommandLineTest.run("list", "--output", "xml");
        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("'xml' is not an output format: use text or json");
    }

    @Test
    void theOutputFormatIsCaseInsensitive() {
        var parsed = DtrBackupCli.commandLine().parseArgs("clusters", "--output", "JSON");
        assertThat(((ClustersCommand) parsed.subcommand().commandSpec().userObject()).output.json()).isTrue();
        parsed = DtrBackupCli.commandLine().parseArgs("clusters");
        assertThat(((ClustersCommand) parsed.subcommand().commandSpec().userObject()).output.json()).isFalse();
    }

    @Test
    void jsonWatchNeedsOnce() {
        CommandLineTest.Run r = CommandLineTest.run("watch", "--output", "json", "--bootstrap", "127.0.0.1:1");
        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("--output json needs --once");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void showsTwoJsonFlagsExcludeEachOther() {
        CommandLineTest.Run r = CommandLineTest.run("show", "bk-x", "--json", "--output", "json");
        assertThat(r.code()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("exclude each other");
    }

    @Test
    void anErrorInJsonModeLeavesStdoutEmptyAndKeepsItsExitCode() {
        for (String command : List.of("list", "clusters")) {
            CommandLineTest.Run r = CommandLineTest.run(command, "--output", "json", "--connection",
                    tmp.resolve("none.json").toString());
            assertThat(r.code()).as(command).isEqualTo(ExitCodes.ERROR);
            assertThat(r.out()).as("%s: stdout holds only a document, and there is none", command).isEmpty();
            assertThat(r.err()).as(command).startsWith("error: ").contains("does not exist");
        }
    }
}
