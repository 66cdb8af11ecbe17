"""`legato scheduler` and `legato up` refuse an executor they cannot make with a one-line error
and exit 2 (not a traceback), before starting any thread."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from legato.cli.main import app


@pytest.mark.parametrize("command", ["scheduler", "up"])
def test_an_unknown_executor_is_a_usage_error(command: str, legato_home: object) -> None:
    result = CliRunner().invoke(app, [command, "--executor", "warp-drive"])
    assert result.exit_code == 2, result.output
    assert "warp-drive" in result.output and "Traceback" not in result.output
