"""How data files are named in messages: relative to the working folder, links followed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.core.problems import namer_in, relative


@pytest.mark.parametrize("inside", [True, False])
def test_namer_in_names_files_as_relative_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  inside: bool) -> None:
    data = tmp_path / "data" / "briefs"
    data.mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (data / "plain.yaml").write_text("id: plain\n")
    (elsewhere / "real.yaml").write_text("id: real\n")
    (data / "linked.yaml").symlink_to(elsewhere / "real.yaml")
    monkeypatch.chdir(tmp_path if inside else elsewhere)
    for folder in (data, Path(os.path.relpath(data))):
        for name in ("plain.yaml", "linked.yaml"):
            link = os.path.realpath(folder / name) if (folder / name).is_symlink() else ""
            assert namer_in(folder)(name, link) == relative(folder / name)
    monkeypatch.chdir(data)
    assert namer_in(Path("."))("plain.yaml") == relative(Path("plain.yaml")) == "plain.yaml"
