"""Which version of the briefs is live: the git commit of the briefs folder, when it is a git checkout."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def folder_commit(folder: Path) -> str | None:
    """``3f2a9c1`` (``3f2a9c1+edits`` with uncommitted changes in the folder), or None outside git.

    The commit is the last one that touched the folder, so a briefs folder inside a larger
    repository names the version of the briefs, not of everything else.
    """
    git = shutil.which("git")
    if git is None or not folder.is_dir():
        return None
    try:
        head = subprocess.run([git, "-C", str(folder), "log", "-1", "--format=%h", "--", "."],
                              capture_output=True, text=True, timeout=5, check=False)
        if head.returncode != 0 or not head.stdout.strip():
            return None
        dirty = subprocess.run([git, "-C", str(folder), "status", "--porcelain", "--", "."],
                               capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + ("+edits" if dirty.stdout.strip() else "")
