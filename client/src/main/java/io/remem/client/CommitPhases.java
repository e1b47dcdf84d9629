package io.remem.client;

/**
 * The points a commit passes, named so recovery tests can stop a committer exactly there and SIGKILL it (Hotpot's
 * Table 2.2 rows). With the system property {@code remem.test.commitPause} set to a phase's name, a committer that
 * reaches it prints {@code COMMIT-PHASE <name>} on standard output and waits forever; otherwise passing is a no-op.
 */
final class CommitPhases {
    /** MRMW: the stripes are locked and validated; nothing is logged yet. */
    static final String PREPARED = "prepared";
    /** The redo log is on every replica; no stripe changed yet. */
    static final String LOGGED = "logged";
    /** The stripes are odd; none of the new bytes landed yet. */
    static final String MARKED = "marked";
    /** The new bytes are on every replica; the stripes are still odd. */
    static final String APPLIED = "applied";
    /** The stripes are even again and the log is empty; the locks are still held. */
    static final String CLEARED = "cleared";

    private static final String PAUSE = System.getProperty("remem.test.commitPause", "");

    private CommitPhases() {
    }

    static void reached(String phase) {
        if (!PAUSE.isEmpty() && PAUSE.equals(phase)) {
            System.out.println("COMMIT-PHASE " + phase);
            System.out.flush();
            while (true) {
                try {
                    Thread.sleep(Long.MAX_VALUE);
                } catch (InterruptedException e) {
                    // keep waiting for the kill
                }
            }
        }
    }
}
