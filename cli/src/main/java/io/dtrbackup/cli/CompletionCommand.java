package io.dtrbackup.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Prints a shell completion script generated from the command definitions (picocli's
 * {@link AutoComplete}), so a new command or option completes without anyone editing a script.
 * The script is bash's programmable completion; zsh runs it through its bashcompinit bridge.
 */
@Command(name = "completion", mixinStandardHelpOptions = true,
        description = {"Print the shell completion script for bash or zsh: commands, options, and the values "
                + "of options that have a fixed set (e.g. --output text|json).",
            "Install it as docs/operations.md (\"Scripting the CLI\") shows; it completes 'dtr-backup' on the PATH "
                + "and './dtr-backup'."},
        footer = {"", "Example:", "  source <(./dtr-backup completion bash)",
            "  ./dtr-backup completion zsh > ~/.dtr-backup-completion.zsh",
            "  # and in ~/.zshrc: source ~/.dtr-backup-completion.zsh"})
final class CompletionCommand implements Callable<Integer> {
    /** The shells a script is generated for, named as typed (and completed). */
    enum Shell { bash, zsh }

    /**
     * zsh runs the bash script through its bashcompinit bridge. The picocli script sets that up
     * itself when sourced in zsh (compinit unless compdef is already defined, then bashcompinit),
     * so zsh needs no other header than this note; ShellCompletionIT drives both shells' real line
     * editors with it.
     */
    static final String ZSH_HEADER = """
            # dtr-backup completion for zsh: the bash completion script below, run by zsh's bashcompinit
            # (the script loads compinit if needed, then bashcompinit). Source it from ~/.zshrc.
            """;

    @Parameters(paramLabel = "SHELL", description = "bash or zsh")
    Shell shell;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        out.print(script(shell, spec.root().commandLine()));
        out.flush();
        return ExitCodes.OK;
    }

    /** The script for {@code shell}, generated from {@code root}'s model. */
    static String script(Shell shell, picocli.CommandLine root) {
        String bash = AutoComplete.bash(root.getCommandName(), root);
        return shell == Shell.zsh ? ZSH_HEADER + bash : bash;
    }
}
