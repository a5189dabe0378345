package io.dtrbackup.cli;

import java.util.List;
import picocli.CommandLine;

/**
 * The embedded stack's jar: the ops CLI ({@link DtrBackupCli}) with {@code demo} and {@code stack} in
 * front, which start a real broker and S3 server from test-support in this JVM. The ops commands run
 * here as they run in the ops jar; {@code ./dtr-backup} sends only demo, stack, help and completion here.
 */
public final class EmbeddedStackCli {
    private EmbeddedStackCli() {
    }

    public static void main(String[] args) {
        DtrBackupCli.useLogFile();
        // The embedded broker logs a little through the Log4j 2 API without an implementation on the
        // class path: its simple logger, writing to the same file, keeps the terminal clean.
        System.setProperty("log4j2.loggerContextFactory", "org.apache.logging.log4j.simple.SimpleLoggerContextFactory");
        System.setProperty("org.apache.logging.log4j.simplelog.logFile", System.getProperty(DtrBackupCli.LOG_PROPERTY));
        System.setProperty("org.apache.logging.log4j.simplelog.level", "WARN");
        System.exit(commandLine().execute(args));
    }

    /** The whole command line; tests call {@code execute} on it with their own writers. */
    public static CommandLine commandLine() {
        return DtrBackupCli.commandLine(List.of(DemoCommand.class, StackCommand.class));
    }
}
