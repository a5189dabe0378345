package io.dtrbackup.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The generated completion script in real shells: an interactive bash or zsh in a pseudo-terminal
 * sources what {@code dtr-backup completion SHELL} prints, gets partial command lines typed with a
 * TAB, and the line as the shell's own line editor completed it is compared with what a user
 * would see. Needs bash and zsh (with its zpty module) on the PATH; fails, never skips, without them
 * (deploy/setup-docker-engine.sh installs zsh on CI).
 */
class ShellCompletionIT {
    /** Typed line, then the line after TAB. */
    static final List<String[]> CASES = List.of(
            new String[] {"dtr-backup li", "dtr-backup list "},
            new String[] {"dtr-backup list --out", "dtr-backup list --output "},
            new String[] {"dtr-backup list --output j", "dtr-backup list --output json "},
            new String[] {"dtr-backup watch --on", "dtr-backup watch --once "},
            new String[] {"dtr-backup completion z", "dtr-backup completion zsh "},
            new String[] {"./dtr-backup clus", "./dtr-backup clusters "});

    @TempDir
    Path tmp;

    @ParameterizedTest
    @EnumSource(CompletionCommand.Shell.class)
    void theShellCompletesCommandsOptionsAndTheirValues(CompletionCommand.Shell shell) throws Exception {
        String zsh = onPath("zsh");
        onPath(shell.name());
        CommandLineTest.Run generated = CommandLineTest.run("completion", shell.name());
        assertThat(generated.code()).as(generated.err()).isZero();
        Path script = Files.writeString(tmp.resolve("dtr-backup-completion." + shell), generated.out());
        Path driver = tmp.resolve("complete-in-pty.zsh");
        try (InputStream in = ShellCompletionIT.class.getResourceAsStream("complete-in-pty.zsh")) {
            Files.copy(in, driver);
        }
        Path out = tmp.resolve("completed.txt");
        Path home = Files.createDirectories(tmp.resolve("home"));
        List<String> command = new ArrayList<>(List.of(zsh, "-f", driver.toString(), shell.name(), script.toString(),
                out.toString()));
        CASES.forEach(c -> command.add(c[0]));
        ProcessBuilder pb = new ProcessBuilder(command).directory(home.toFile())
                .redirectErrorStream(true).redirectOutput(tmp.resolve("driver.log").toFile());
        // A user's shell: its own home (no rc files are read anyway), a terminal zle and readline accept.
        pb.environment().put("HOME", home.toString());
        pb.environment().put("ZDOTDIR", home.toString());
        pb.environment().put("TERM", "xterm");
        Process p = pb.start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            fail("%s did not answer within 60 s; driver log:%n%s", shell, Files.readString(tmp.resolve("driver.log")));
        }
        assertThat(p.exitValue()).as("driver log: %s", Files.readString(tmp.resolve("driver.log"))).isZero();
        List<String> completed = Files.readAllLines(out, StandardCharsets.UTF_8);
        assertThat(completed).as("%s: one completed line per typed line", shell).hasSize(CASES.size());
        for (int i = 0; i < CASES.size(); i++) {
            assertThat(completed.get(i)).as("%s completes '%s<TAB>'", shell, CASES.get(i)[0]).isEqualTo(CASES.get(i)[1]);
        }
    }

    static String onPath(String program) throws IOException {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path candidate = Path.of(dir, program);
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        return fail("%s is not installed (not on the PATH): the completion test runs the real shell; "
                + "install it with 'sudo apt-get install -y %s' (deploy/setup-docker-engine.sh does on CI)", program, program);
    }
}
