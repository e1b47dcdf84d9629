package io.remem.protocol;

import java.util.regex.Pattern;

/** The rules for dataset names, shared by every layer that accepts one. A name is unique within its tenant. */
public final class DatasetName {
    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    private DatasetName() {}

    /** Returns {@code name} if it is a valid dataset name, else throws naming the rule. */
    public static String check(String name) {
        if (name == null || !VALID.matcher(name).matches()) {
            throw new RememException(ErrorCode.INVALID_ARGUMENT, "dataset name '" + name
                    + "' is invalid: use 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        return name;
    }
}
