package io.remem.transport;

import io.remem.protocol.ErrorCode;
import io.remem.protocol.RememException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class HostPortTest {
    private static final String SETTING = "--controller";

    @Test
    void parsesHostAndPort() {
        HostPort hp = HostPort.parse("h:1", SETTING);
        assertThat(hp.host()).isEqualTo("h");
        assertThat(hp.port()).isEqualTo(1);
        assertThat(hp).hasToString("h:1");
    }

    @Test
    void parsesBracketedIpv6() {
        HostPort hp = HostPort.parse("[::1]:7000", SETTING);
        assertThat(hp.host()).isEqualTo("::1");
        assertThat(hp.port()).isEqualTo(7000);
        assertThat(hp).hasToString("[::1]:7000");
        assertThat(HostPort.parse(hp.toString(), SETTING)).isEqualTo(hp);
    }

    @Test
    void trimsSurroundingWhitespaceAndAcceptsPortBounds() {
        assertThat(HostPort.parse("  example.org:65535 ", SETTING)).isEqualTo(new HostPort("example.org", 65535));
        assertThat(HostPort.parse("localhost:0", SETTING)).isEqualTo(new HostPort("localhost", 0));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "   ", "nohost", "h:", "h:x", "h:70000", ":80", "h:-1"})
    void rejectsMalformedInputNamingTheSetting(String text) {
        assertThatThrownBy(() -> HostPort.parse(text, SETTING))
                .isInstanceOfSatisfying(RememException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                    assertThat(e.detail()).startsWith(SETTING + ":");
                });
    }

    @Test
    void rejectsNullNamingTheSetting() {
        assertThatThrownBy(() -> HostPort.parse(null, SETTING))
                .isInstanceOfSatisfying(RememException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                    assertThat(e.detail()).contains(SETTING);
                });
    }

    @Test
    void messagesQuoteTheOffendingText() {
        assertThatThrownBy(() -> HostPort.parse("h:x", SETTING)).hasMessageContaining("'x'").hasMessageContaining("'h:x'");
        assertThatThrownBy(() -> HostPort.parse("h:70000", SETTING)).hasMessageContaining("70000");
        assertThatThrownBy(() -> HostPort.parse("nohost", SETTING)).hasMessageContaining("'nohost'");
    }

    /** An empty host inside brackets is rejected too, and the error still names the setting. */
    @Test
    void rejectsEmptyBracketedHostNamingTheSetting() {
        assertThatThrownBy(() -> HostPort.parse("[]:80", SETTING))
                .isInstanceOfSatisfying(RememException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                    assertThat(e.detail()).contains(SETTING);
                });
    }

    @Test
    void constructorValidates() {
        assertThatThrownBy(() -> new HostPort(" ", 1)).isInstanceOf(RememException.class);
        assertThatThrownBy(() -> new HostPort("h", 65536)).isInstanceOf(RememException.class);
        assertThatThrownBy(() -> new HostPort("h", -1)).isInstanceOf(RememException.class);
    }
}
