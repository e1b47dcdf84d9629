package io.remem.protocol;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TenantNameTest {

    @ParameterizedTest
    @ValueSource(strings = {"a", "Z", "7", "acme", "Acme-Corp_2.prod", "0-", "a.b.c", "x________", "team--9"})
    void acceptsLettersDigitsDotUnderscoreDashStartingAlphanumeric(String name) {
        assertThat(TenantName.check(name)).isEqualTo(name);
    }

    @Test
    void acceptsSixtyFourCharactersAndRejectsSixtyFive() {
        String max = "t" + "x".repeat(63);
        assertThat(TenantName.check(max)).isEqualTo(max);
        assertThatThrownBy(() -> TenantName.check(max + "x"))
                .isInstanceOfSatisfying(RememException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "-acme", ".acme", "_acme", "ac me", " acme", "acme ", "acme\n", "a/b", "a:b",
            "a@b", "ünicode", "acmé", "a\u0000"})
    void rejectsInvalidNamesWithInvalidArgument(String name) {
        assertThatThrownBy(() -> TenantName.check(name))
                .isInstanceOfSatisfying(RememException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
                    assertThat(e.detail()).contains("'" + name + "'");
                });
    }

    @Test
    void rejectsNull() {
        assertThatThrownBy(() -> TenantName.check(null))
                .isInstanceOfSatisfying(RememException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    }
}
