"""The picker's mode: the queue (its first screen, which owns the flow), totes, the pick, the
finish."""
