package io.remem.cli;

/**
 * Sets up slf4j-simple before any logger exists: servers log at info, client-side commands at warn, so their
 * own output stays readable. {@code -Dorg.slf4j.simpleLogger.defaultLogLevel=debug} overrides either.
 */
final class Logging {
    private Logging() {}

    static void configure(String[] args) {
        String command = args.length == 0 ? "" : args[0];
        boolean server = command.equals("controller") || command.equals("memnode");
        setDefault("org.slf4j.simpleLogger.defaultLogLevel", server ? "info" : "warn");
        setDefault("org.slf4j.simpleLogger.showDateTime", "true");
        setDefault("org.slf4j.simpleLogger.dateTimeFormat", "HH:mm:ss.SSS");
        setDefault("org.slf4j.simpleLogger.showShortLogName", "true");
        setDefault("org.slf4j.simpleLogger.logFile", "System.err");
    }

    private static void setDefault(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
