"""A JSON file written whole or not at all (a temp file replaced), so that a reader never sees
half of it: the caches of the data directory (model lists, published prices)."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


def write_whole(target: Path, data) -> None:
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, ensure_ascii=False, indent=1)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
