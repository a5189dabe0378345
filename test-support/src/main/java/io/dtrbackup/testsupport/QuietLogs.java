package io.dtrbackup.testsupport;

import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;

/**
 * Turns down the chattiest loggers of the embedded servers. Done in code rather than in a
 * logback.xml because the demo launcher uses these classes outside tests, and a config file in
 * this jar would hijack every other module's logging.
 */
final class QuietLogs {
    private QuietLogs() {
    }

    static void warn(String... loggerNames) {
        ILoggerFactory factory = LoggerFactory.getILoggerFactory();
        // Only touch logback when it is the bound backend; any other backend keeps its own config.
        if (!(factory instanceof ch.qos.logback.classic.LoggerContext ctx)) {
            return;
        }
        for (String name : loggerNames) {
            ch.qos.logback.classic.Logger logger = ctx.getLogger(name);
            // Respect a stricter level someone configured on purpose.
            if (logger.getLevel() == null || !logger.getLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.WARN)) {
                logger.setLevel(ch.qos.logback.classic.Level.WARN);
            }
        }
    }
}
