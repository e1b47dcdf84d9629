package io.remem.cli;

import io.remem.transport.HostPort;
import picocli.CommandLine;

import java.time.Duration;

/**
 * Parses option values; picocli names the option in the message of any failure. Public for the commands that other
 * jars add ({@link CommandProvider}).
 */
public final class Converters {
    private Converters() {}

    public static final class Bytes implements CommandLine.ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            try {
                return Units.parseBytes(value, "size");
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage().replaceFirst("^size: ", ""));
            }
        }
    }

    public static final class Time implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            try {
                return Units.parseDuration(value, "duration");
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage().replaceFirst("^duration: ", ""));
            }
        }
    }

    public static final class Endpoint implements CommandLine.ITypeConverter<HostPort> {
        @Override
        public HostPort convert(String value) {
            try {
                return HostPort.parse(value, "endpoint");
            } catch (RuntimeException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not HOST:PORT");
            }
        }
    }
}
