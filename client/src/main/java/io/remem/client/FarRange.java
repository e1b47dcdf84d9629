package io.remem.client;

/**
 * {@code length} bytes from {@code offset} of a dataset: what {@link Dataset#acquire} takes.
 *
 * @param offset from the first byte of the dataset's data
 * @param length positive
 */
public record FarRange(long offset, long length) {
    public FarRange {
        if (offset < 0 || length <= 0) {
            throw new IllegalArgumentException("range [" + offset + ", +" + length + "): the offset must not be negative"
                    + " and the length must be positive");
        }
    }

    /** The first byte past the range. */
    public long end() {
        return offset + length;
    }
}
