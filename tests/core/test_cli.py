"""The command line as scripts use it: JSON shapes, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def safeer(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True,
                          cwd=ROOT, input=stdin, timeout=60)


def test_ask_json_shape() -> None:
    out = safeer("ask", "azerbijan invesment", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert set(data) == {"query", "results", "suggestions", "answer"}
    first = data["results"][0]
    assert first["id"] == "investment"
    assert set(first) == {"id", "title", "score", "text", "facts", "sources"}
    assert "Sources:" in first["text"] and first["sources"][0]["id"]


def test_ask_unrelated_returns_no_result() -> None:
    data = json.loads(safeer("ask", "recipe for biryani", "--json").stdout)
    assert data["results"] == []


def test_ask_stdin_one_object_per_line() -> None:
    out = safeer("ask", "--stdin", "--json", stdin="LNG\n\nKhalafov letter\n")
    lines = [json.loads(x) for x in out.stdout.splitlines()]
    assert len(lines) == 3
    assert lines[0]["results"][0]["id"] == "energy-lng"
    assert "error" in lines[1]
    assert lines[2]["results"]


@pytest.mark.parametrize("args", [
    ["ask", ""], ["ask", "   "], ["ask", "x" * 10_000], ["ask", "\u200b\u200f"],
    ["onthisday", "13-40"], ["onthisday", "02-30"], ["onthisday", "yesterday"], ["frobnicate"],
    ["timeline", "2025", "2024"], ["ask", "x", "--limit", "0"],
])
def test_bad_input_is_one_line_exit_2(args: list[str]) -> None:
    out = safeer(*args)
    assert out.returncode == 2, out
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr


@pytest.mark.parametrize("query", ["<@&123> @everyone **LNG**", "\u202eLNG\u202c", "LNG\x07\x1b[31m", "ليانجي"])
def test_odd_but_valid_text_gets_an_answer(query: str) -> None:
    out = safeer("ask", query, "--json")
    assert out.returncode == 0 and "Traceback" not in out.stderr
    json.loads(out.stdout)


def test_onthisday_json_and_leap_day() -> None:
    data = json.loads(safeer("onthisday", "07-11", "--json").stdout)
    assert data["day"] == "07-11"
    assert data["events"] and {"date", "precision", "title", "text", "years_ago", "sources"} <= set(data["events"][0])
    assert all(e["precision"] == "day" for e in data["events"])
    leap = safeer("onthisday", "02-29", "--json")
    assert leap.returncode == 0 and json.loads(leap.stdout)["day"] == "02-29"


def test_timeline_json_is_in_date_order() -> None:
    events = json.loads(safeer("timeline", "--json").stdout)["events"]
    assert len(events) >= 5
    assert [e["date"][:4] for e in events] == sorted(e["date"][:4] for e in events)
    some = json.loads(safeer("timeline", "lachin", "--json").stdout)["events"]
    assert some and all("2025" in e["date"] for e in some)


def test_console_answers_like_the_bot() -> None:
    out = safeer("console", stdin="/brief investment\nbreif lng\n/onthisday 13-40\n/help\nquit\n")
    assert out.returncode == 0
    assert "USD 2 billion" in out.stdout
    assert "Did you mean 'brief'?" in out.stdout
    assert "not a real date" in out.stdout
    assert "onthisday" in out.stdout


def test_other_data_folders_by_flag(tmp_path: Path) -> None:
    out = safeer("--briefs", str(tmp_path), "ask", "LNG")
    assert out.returncode == 1 and "no *.yaml briefs" in out.stderr


def test_ask_leads_with_the_answering_fact() -> None:
    out = safeer("ask", "How many MoUs were signed during Aliyev's 2024 visit?")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("15 Memoranda of Understanding")
    data = json.loads(safeer("ask", "when did Aliyev visit Pakistan", "--json").stdout)
    assert data["answer"]["date"] == "2024-07-11" and data["answer"]["quote"].startswith("Azerbaijan's President")
    lines = [json.loads(x) for x in safeer("ask", "--stdin", "--json", stdin="capital of Japan\n<@1>\nLNG\n").stdout.splitlines()]
    assert lines[0]["answer"] is None and lines[1]["answer"] is None and "error" in lines[1]
    assert lines[2]["answer"]["brief"] == "energy-lng"
