package io.remem.bench.suite;

/** YCSB's record: {@code fieldCount} fields of {@code fieldLength} bytes, named {@code field0, field1, ...}. */
public record RecordShape(int fieldCount, int fieldLength) {
    /** Keys are YCSB's: "user" and up to 19 digits. */
    public static final int MAX_KEY_BYTES = 23;

    public RecordShape {
        if (fieldCount < 1 || fieldLength < 1 || (long) fieldCount * fieldLength > 1 << 20) {
            throw new IllegalArgumentException("record of " + fieldCount + " x " + fieldLength + " bytes: need"
                    + " at least one field of at least one byte, and at most 1 MiB in all");
        }
    }

    public int recordBytes() {
        return fieldCount * fieldLength;
    }

    public int fieldOffset(int field) {
        return field * fieldLength;
    }
}
