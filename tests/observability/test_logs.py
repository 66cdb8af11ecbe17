"""The scheduler's and server's own log lines: JSON with LEGATO_LOG_FORMAT=json, plain text
otherwise; bad settings are refused with the variable named."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from legato.config import load_settings
from legato.observability.logs import configure_logging


@pytest.fixture
def restore_legato_logger() -> Iterator[None]:
    logger = logging.getLogger("legato")
    handlers, level = list(logger.handlers), logger.level
    yield
    logger.handlers[:] = handlers
    logger.setLevel(level)


def test_json_lines_carry_the_run_context(monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str],
                                          restore_legato_logger: None) -> None:
    monkeypatch.setenv("LEGATO_LOG_FORMAT", "json")
    configure_logging(load_settings())
    configure_logging(load_settings())                     # again: still one handler
    log = logging.getLogger("legato.scheduler")
    log.warning("run %s is late", "r1", extra={"dag_id": "d", "run_id": "r1", "task_id": "t"})
    log.debug("not shown at INFO")
    try:
        raise ValueError("kaput")
    except ValueError:
        log.exception("it broke")
    lines = [json.loads(x) for x in capsys.readouterr().err.splitlines()]
    assert len(lines) == 2
    first, second = lines
    assert first["message"] == "run r1 is late" and first["level"] == "WARNING"
    assert first["logger"] == "legato.scheduler"
    assert (first["dag_id"], first["run_id"], first["task_id"]) == ("d", "r1", "t")
    assert first["timestamp"].endswith("+00:00") and "T" in first["timestamp"]
    assert "map_index" not in first
    assert second["level"] == "ERROR" and "ValueError: kaput" in second["exc_info"]


def test_text_is_the_default(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                             restore_legato_logger: None) -> None:
    monkeypatch.delenv("LEGATO_LOG_FORMAT", raising=False)
    configure_logging(load_settings())
    logging.getLogger("legato.server").info("hello %s", "there")
    err = capsys.readouterr().err
    assert "INFO    legato.server: hello there" in err
    with pytest.raises(json.JSONDecodeError):
        json.loads(err.splitlines()[-1])


@pytest.mark.parametrize("var, value", [("LEGATO_LOG_FORMAT", "xml"), ("LEGATO_OTEL", "jaeger"),
                                        ("LEGATO_METRICS", "maybe"),
                                        ("LEGATO_SLA_FORECAST_S", "soon"),
                                        ("LEGATO_SLA_FORECAST_S", "-1")])
def test_bad_settings_name_the_variable(monkeypatch: pytest.MonkeyPatch, var: str,
                                        value: str) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(ValueError, match=var):
        load_settings()
