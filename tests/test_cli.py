import json
import subprocess
import sys

from typer.testing import CliRunner

from greenfin.cli import app

runner = CliRunner()


def test_help_lists_groups() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    assert "demo" in result.output
    assert "version" in result.output


def test_version_json() -> None:
    result = runner.invoke(app, ["version", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["holiday_table"].startswith("CN-IB 2018-")
    assert data["QuantLib"] != "not installed"


def test_user_mistake_is_one_line_and_exit_2() -> None:
    """Through the real installed entry point: no traceback for a bad --as-of."""
    proc = subprocess.run(
        [sys.executable, "-c", "from greenfin.cli import main; main()", "demo", "--as-of", "30/06/2026"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "--as-of must be an ISO date" in proc.stderr
