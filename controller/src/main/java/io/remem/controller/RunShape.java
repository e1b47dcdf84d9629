package io.remem.controller;

/**
 * Where a new run's slab ids go and how its last slab is sized.
 *
 * @param firstId    its first id; 0 to pick one at random ({@link SlabIds})
 * @param span       with a random first id: how many ids from it must be free, the run's own and those it may grow into
 * @param wholeSlabs every slab full size, the last one too, so the run can grow by appending slabs
 * @param window     the first id of the dataset whose id window the run grows into (its own window does not count as
 *                   taken); 0 for none
 */
record RunShape(long firstId, long span, boolean wholeSlabs, long window) {
    /** An allocation: random ids, its last slab as small as its bytes allow. */
    static final RunShape ALLOCATION = new RunShape(0, 0, false, 0);

    /**
     * A new dataset: random ids; a growable one has whole slabs and a window of {@link Datasets#WINDOW} ids kept free
     * for it to grow into, which its whole slabs pay for (a window costs nothing in quota, so tiny datasets must not
     * get one).
     */
    static RunShape dataset(boolean growable) {
        return growable ? new RunShape(0, Datasets.WINDOW, true, 0) : ALLOCATION;
    }

    /** More whole slabs for the dataset whose first slab is {@code window}, from id {@code firstId} on. */
    static RunShape growth(long window, long firstId) {
        return new RunShape(firstId, 0, true, window);
    }
}
