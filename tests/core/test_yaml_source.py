"""The short road of :func:`load_yaml` must give exactly what the safe constructor gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.core import yaml_source
from bot.core.yaml_source import Located, YamlError, load_yaml

HERE = Path("briefs/example.yaml")
REAL_BRIEFS = sorted((Path(__file__).resolve().parents[2] / "briefs").glob("*.yaml"))


def long_way(text: str) -> Any:
    return yaml.load(text, Loader=yaml_source._LineLoader)


def lines(value: Any) -> Any:
    """Values with every mapping's line and key lines, so equality also compares positions."""
    if isinstance(value, Located):
        return ("map", value.line, dict(value.key_lines), {k: lines(v) for k, v in value.items()})
    if isinstance(value, list):
        return [lines(v) for v in value]
    return value


CASES = {
    "text and dates": "id: x\ntitle: \"T\"\nsummary: >-\n  one\n  two\nfacts:\n  - text: a\n    date: 2025-02-30\n",
    "scalars of every kind": "a: ~\nb: null\nc: yes\nd: 12\ne: 1.5\nf: 0x1f\ng: ''\nh:\n",
    "merge key": "base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  z: 3\n",
    "repeated anchor": "a: &l [1, 2]\nb: *l\nc: *l\n",
    "repeated scalar anchor": "a: &s word\nb: *s\n",
    "number as key": "2024: year\nx: 1\n",
    "set tag": "s: !!set {a, b}\n",
    "binary tag": "b: !!binary aGVsbG8=\n",
    "flow and nesting": "tags: [a, b]\nfacts: [{text: t, source: s}, {text: u}]\n",
    "empty document": "",
    "only a list": "- a\n- b\n",
}


@pytest.mark.parametrize("name", CASES)
def test_short_road_equals_safe_constructor(name: str) -> None:
    text = CASES[name]
    assert lines(load_yaml(text, HERE)) == lines(long_way(text))


@pytest.mark.parametrize("path", REAL_BRIEFS, ids=lambda p: p.name)
def test_real_briefs_read_the_same_both_ways(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert lines(load_yaml(text, path)) == lines(long_way(text))


def test_dates_stay_text() -> None:
    data = load_yaml("date: 2025-02-30\nok: 2024-07-01\n", HERE)
    assert data == {"date": "2025-02-30", "ok": "2024-07-01"}


def test_duplicate_key_reported_with_its_line() -> None:
    with pytest.raises(YamlError) as err:
        load_yaml("id: a\ntitle: t\nid: b\n", HERE)
    assert err.value.line == 3 and "duplicate key 'id'" in err.value.message


def test_recursive_alias_is_an_error_not_a_hang() -> None:
    with pytest.raises(YamlError) as err:
        load_yaml("a: &x [1, *x]\n", HERE)
    assert "recursive" in err.value.message


def test_alias_bombs_are_refused_before_anything_is_built() -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + k)}: &{chr(98 + k)} [{', '.join(['*' + chr(97 + k)] * 9)}]\n" for k in range(8))
    with pytest.raises(YamlError) as err:  # 9**9 leaves written out: anything formatting it would never end
        load_yaml(bomb, HERE)
    assert "aliases" in err.value.message and err.value.line == 1


def test_a_few_aliases_still_share_values() -> None:
    value = load_yaml("a: &a [x, y]\nb: *a\nc: *a\n", HERE)
    assert value["b"] is value["c"] and value["b"] == ["x", "y"]


def test_python_tags_are_refused_on_both_roads() -> None:
    with pytest.raises(YamlError) as err:
        load_yaml("x: !!python/object/apply:os.system ['true']\n", HERE)
    assert "refused" in err.value.message
