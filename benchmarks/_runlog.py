"""Append-only JSON-lines log of finished benchmark runs, so an interrupted benchmark resumes where it stopped."""

import json
import os


class RunLog:
    """The finished runs of one benchmark with the same extra recipe flags.

    Args:
        path: the ``.jsonl`` file (one run per line).
        extra: the extra recipe flags; only runs logged with the same ones count.
        key: function ``row -> key`` naming a run (seed, modalities, ...).
        keep: optional further filter of logged rows.
    """

    def __init__(self, path, extra, key, keep=None):
        self.path, self.extra, self.key = path, list(extra), key
        self.done = {}
        if os.path.exists(path):
            with open(path) as f:
                for number, line in enumerate(f, start=1):
                    try:
                        row = json.loads(line)
                    except json.JSONDecodeError as e:  # a run killed while writing its line
                        raise SystemExit(f"{path}: line {number} is not JSON ({e}); delete that line to resume") from e
                    if row.get("extra") == self.extra and (keep is None or keep(row)):
                        self.done[key(row)] = row

    def __contains__(self, run_key):
        return run_key in self.done

    def record(self, row):
        """Log one finished run (one line, written before the next run starts); returns the logged row."""
        row = dict(row, extra=self.extra)
        self.done[self.key(row)] = row
        with open(self.path, "a") as f:
            f.write(json.dumps(row) + "\n")
        return row
