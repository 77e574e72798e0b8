"""The pre-commit hook a briefs repository uses runs `safeer check` on its own folders."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_hook_runs_the_check_on_a_briefs_repository(data_copy: tuple[Path, Path]) -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    hook = next(h for h in hooks if h["id"] == "safeer-check")
    program, *words = hook["entry"].split()
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert scripts[program] == "bot.__main__:main" and hook["language"] == "python" and not hook["pass_filenames"]
    repo = data_copy[0].parent  # briefs/ and corpus/ side by side, as in a briefs repository
    git = ["git", "-C", str(repo), "-c", "user.name=C", "-c", "user.email=c@example.org"]
    for args in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "briefs"]):
        subprocess.run([*git, *args], check=True, capture_output=True, timeout=30)
    commit = subprocess.run([*git, "log", "-1", "--format=%h"], capture_output=True, text=True, check=True).stdout.strip()

    def run_hook() -> subprocess.CompletedProcess[str]:  # what pre-commit runs: entry + args, in the repository
        return subprocess.run([sys.executable, "-m", "bot", *words, *hook["args"]], cwd=repo, capture_output=True,
                              text=True, timeout=60)

    ok = run_hook()
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.rstrip().endswith(f"briefs at git commit {commit}")
    (repo / "briefs" / "trade.yaml").write_text("id: trade\ntitle: [unclosed\n", encoding="utf-8")
    bad = run_hook()
    assert bad.returncode == 1 and "trade.yaml:" in bad.stderr
    assert bad.stderr.rstrip().endswith(f"(briefs at git commit {commit}+edits)")
