"""plexms benchmark suite (issue 8): ``make bench`` = ``python -m bench``.

Each module ``bench/<area>.py`` defines ``run() -> list[dict]``, one dict per figure::

    {"name": "kinetics.courses_per_s", "value": ..., "unit": "courses/s",
     "baseline": "what it is compared with", "baseline_value": ..., "ratio": ...,
     "command": "how to reproduce it"}

``ratio`` is ``value / baseline_value`` for a measured quantity; for a figure that is itself a
comparison (a speed-up, a fraction of a ceiling), ``value`` is that comparison,
``baseline_value`` the baseline's own measurement and ``ratio`` repeats ``value``.
``python -m bench`` runs every area, prints a table and writes ``bench/results.json``.
"""
