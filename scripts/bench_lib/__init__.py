"""The benchmarks of issue 4 (scripts/bench-tally, scripts/bench-ballots) and what they share.

Each benchmark builds its own data on a database it owns (a throw-away PostgreSQL cluster on
127.0.0.1, or a SQLite file in a temp dir), prints its headline figures as `name: value unit`
lines, the most important one last, and removes everything it started when it ends.
"""
