package io.remem.protocol;

import java.util.regex.Pattern;

/** The rules for tenant names, shared by every layer that accepts one. */
public final class TenantName {
    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private TenantName() {}

    /** Returns {@code name} if it is a valid tenant name, else throws naming the rule. */
    public static String check(String name) {
        if (name == null || !VALID.matcher(name).matches()) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "tenant name '" + name
                    + "' is invalid: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        return name;
    }
}
