"""The kill tests' parts: the process they kill (recorder.py), their rounds and checks
(harness.py)."""
