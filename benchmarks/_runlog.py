"""Append-only JSON-lines log of finished benchmark runs, so an interrupted benchmark resumes where it stopped."""

import json
import os


def read_runs(path, key, keep):
    """``{key(row): row}`` of the logged rows for which ``keep(row)`` holds (later rows win)."""
    done = {}
    if os.path.exists(path):
        with open(path) as f:
            for number, line in enumerate(f, start=1):
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as e:  # a run killed while writing its line
                    raise SystemExit(f"{path}: line {number} is not JSON ({e}); delete that line to resume") from e
                if keep(row):
                    done[key(row)] = row
    return done


def append_run(path, row):
    """Log one finished run (one line, flushed before the next run starts)."""
    with open(path, "a") as f:
        f.write(json.dumps(row) + "\n")
