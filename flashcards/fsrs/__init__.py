"""FSRS: the second scheduler (scheduler.py) and its fitting to a person's history (fitting.py,
with dataset.py: the history made ready, and metrics.py: srs-benchmark's metrics); the one owner
of fsrs_rs_python."""
