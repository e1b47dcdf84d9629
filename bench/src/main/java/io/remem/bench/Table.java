package io.remem.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A result table: printed as markdown, saved as CSV. Cells are strings, formatted by whoever fills them. */
public final class Table {
    private final String title;
    private final List<String> columns;
    private final List<List<String>> rows = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();

    public Table(String title, String... columns) {
        this.title = title;
        this.columns = List.of(columns);
    }

    public Table row(Object... cells) {
        if (cells.length != columns.size()) {
            throw new IllegalArgumentException(cells.length + " cells for " + columns.size() + " columns");
        }
        List<String> r = new ArrayList<>(cells.length);
        for (Object c : cells) {
            r.add(String.valueOf(c));
        }
        rows.add(r);
        return this;
    }

    /** A line printed under the table: how to read it, what bounds it. */
    public Table note(String note) {
        notes.add(note);
        return this;
    }

    public String title() {
        return title;
    }

    public List<List<String>> rows() {
        return List.copyOf(rows);
    }

    public String markdown() {
        StringBuilder sb = new StringBuilder();
        sb.append("### ").append(title).append("\n\n");
        sb.append("| ").append(String.join(" | ", columns)).append(" |\n");
        sb.append("|").append("---|".repeat(columns.size())).append("\n");
        for (List<String> r : rows) {
            sb.append("| ").append(String.join(" | ", r)).append(" |\n");
        }
        for (String n : notes) {
            sb.append("\n").append(n).append("\n");
        }
        return sb.toString();
    }

    /** Writes the table as CSV to {@code file}, quoting cells that need it. */
    public void writeCsv(Path file) {
        StringBuilder sb = new StringBuilder();
        sb.append(csvLine(columns));
        for (List<String> r : rows) {
            sb.append(csvLine(r));
        }
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Files.writeString(file, sb);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private static String csvLine(List<String> cells) {
        List<String> quoted = new ArrayList<>(cells.size());
        for (String c : cells) {
            quoted.add(c.contains(",") || c.contains("\"") || c.contains("\n") ? "\"" + c.replace("\"", "\"\"") + "\"" : c);
        }
        return String.join(",", quoted) + "\n";
    }
}
