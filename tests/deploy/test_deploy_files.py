"""deploy/: the systemd unit and the sample environment file an operator installs."""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest
from dotenv import dotenv_values

from bot.exit_codes import ExitCode
from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "deploy" / "safeer.service"
SAMPLE_ENV = ROOT / "deploy" / "safeer.env"


def _service() -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None, strict=False, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(UNIT.read_text())
    return dict(parser["Service"])


def test_unit_runs_the_bot_as_a_service() -> None:
    service = _service()
    assert service["Restart"] == "on-failure"
    assert service["ExecReload"] == "/bin/kill -HUP $MAINPID"
    assert service["EnvironmentFile"] == "/etc/safeer/safeer.env"
    assert service["DynamicUser"] == "yes" and service["StateDirectory"] == "safeer"
    assert "SAFEER_STATE_DIR=%S/safeer" in service["Environment"].split()
    assert service["ExecStart"].endswith("python -m bot run")
    # Restarting cannot fix bad data, settings, a refused token or an unusable database; it can fix
    # an outage of Discord or of the database server.
    prevented = {int(code) for code in service["RestartPreventExitStatus"].split()}
    transient = {ExitCode.OK, ExitCode.DISCORD_UNREACHABLE, ExitCode.DATABASE_UNREACHABLE}
    assert prevented == {int(c) for c in ExitCode if c not in transient}
    assert int(service["TimeoutStopSec"]) > 10  # the bot's own stop takes at most ~10 s


def test_systemd_analyze_verify_accepts_the_unit(tmp_path: Path) -> None:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed here; the unit's contents are checked by the other test")
    # Verified as installed from this checkout: verify also checks that the programs and files exist.
    unit = tmp_path / "safeer.service"
    unit.write_text(UNIT.read_text().replace("/etc/safeer/safeer.env", str(SAMPLE_ENV))
                    .replace("/opt/safeer", str(ROOT)))
    done = subprocess.run([tool, "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "" and done.stderr.strip() == "", done.stdout + done.stderr


def test_sample_environment_is_valid_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    values = {k: v for k, v in dotenv_values(SAMPLE_ENV).items() if v is not None}
    assert "DISCORD_TOKEN" in values and values["DISCORD_TOKEN"] == ""  # never a real token in the repository
    readme = (ROOT / "README.md").read_text()
    for name in values:
        assert f"`{name}`" in readme, f"{name} is not documented in the README"
    monkeypatch.setenv("SAFEER_NO_DOTENV", "1")
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DISCORD_TOKEN", "MTIzNDU2Nzg5MDEyMzQ1Njc4OQ.GaBcDe.filled-in-by-the-operator")
    settings = Settings.from_env()
    assert settings.metrics_address == ("127.0.0.1", 9108) and settings.log_format == "json"
