"""Where the shared third-party data sets are: beside the repository, as `../shared/data`.

A clone elsewhere (a CI checkout in another folder) finds them through `$SHARED_DATA`, or in the
workplace's fixed location `/work/shared/data`. They are read in place, never copied.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def shared_data(name: str) -> Path:
    candidates = [Path(os.environ["SHARED_DATA"])] if os.environ.get("SHARED_DATA") else []
    candidates += [REPO.parent / "shared" / "data", Path("/work/shared/data")]
    for base in candidates:
        if (base / name).exists():
            return base / name
    return candidates[0] / name
