"""Where the data lives: flags first, then environment variables, then the project's folders."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def data_dirs(briefs: str | None = None, corpus: str | None = None) -> tuple[Path, Path]:
    """The briefs and corpus folders to use."""
    b = briefs or os.environ.get("SAFEER_BRIEFS_DIR") or str(PROJECT_ROOT / "briefs")
    c = corpus or os.environ.get("SAFEER_CORPUS_DIR") or str(PROJECT_ROOT / "corpus")
    return Path(b), Path(c)
