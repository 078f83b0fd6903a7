"""FSRS: the second scheduler (scheduler.py) and its fitting to a person's history (fitting.py); the one owner of fsrs_rs_python."""
