"""Background runs: checkpointers, run records, and the per-thread run queue."""
