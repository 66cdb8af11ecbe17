"""The incident sink seam: built-in sinks by name, third-party sinks registered in code or found
through the entry point group `legato.incident_sinks` (a real installed distribution on
sys.path), delivered through the real path (listener -> outbox -> dispatcher -> sink)."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import pytest

from legato.incidents import Jira, sinks
from legato.incidents.config import IncidentConfigError, SinkConfig, sink_from_spec
from legato.incidents.dispatcher import Dispatcher
from legato.store import outbox

from .helpers import Driver, Recorder, serve

PLUGIN = '''
from dataclasses import dataclass
from typing import ClassVar

from legato.incidents.config import SinkConfig
from legato.incidents.sinks.base import check, json_of


@dataclass(frozen=True)
class Acme(SinkConfig):
    type: ClassVar[str] = "acme"
    url: str


class AcmeSink:
    config = Acme

    def send(self, cfg, d, client):
        r = check(client.post(cfg.url + "/alerts", json={"event": d.event, "uid": d.uid,
                                                          "ref": d.ref}, timeout=5), "Acme")
        return json_of(r) or None


SINK = AcmeSink()
'''


@pytest.fixture
def fresh_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sinks, "_registered", {})
    monkeypatch.setattr(sinks, "_entry_points_loaded", False)


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_registry: None) -> Path:
    """An installed distribution `acme-sinks` whose entry point names the Acme sink."""
    (tmp_path / "acme_sinks.py").write_text(textwrap.dedent(PLUGIN))
    info = tmp_path / "acme_sinks-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-sinks\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[legato.incident_sinks]\nacme = acme_sinks:SINK\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


@pytest.fixture
def server() -> Iterator[Recorder]:
    rec = serve(Recorder(reply=lambda r: (200, {"id": "A-1"}, 0.0)))
    yield rec
    rec.server.shutdown()


def test_built_in_sinks_are_found_by_type_and_cannot_be_replaced(fresh_registry: None) -> None:
    sink = sinks.get("jira")
    assert sink is not None and sink.config is Jira
    assert {"webhook", "jira", "servicenow", "zendesk", "pagerduty", "opsgenie",
            "slack"} <= set(sinks.known())
    with pytest.raises(ValueError, match="'jira' is built in"):
        sinks.register(sink)
    assert sinks.get("nope") is None


def test_an_entry_point_sink_is_delivered_through_the_outbox(plugin: Path,
                                                             server: Recorder) -> None:
    assert "acme" in sinks.known()
    acme = sink_from_spec({"type": "acme", "url": server.url})    # the stored spec, rebuilt
    drv = Driver([acme])
    drv.task("failed", run_id="run_1", try_number=1)
    drv.task("success", run_id="run_2")
    assert Dispatcher(drv.settings, base_s=0.01, max_s=0.05).drain(20)
    with drv.engine.connect() as conn:
        assert {r.state for r in outbox.all_rows(conn)} == {"delivered"}
    sent = [(r.path, r.json["event"], r.json["ref"]) for r in server.accepted]
    assert sent == [("/alerts", "incident.opened", None),
                    ("/alerts", "incident.resolved", {"id": "A-1"})]   # the ref came back


def test_a_sink_registered_in_code(fresh_registry: None, server: Recorder) -> None:
    @dataclass(frozen=True)
    class Pager(SinkConfig):
        type: ClassVar[str] = "inhouse_pager"
        url: str

    class PagerSink:
        config = Pager

        def send(self, cfg: Any, d: Any, client: Any) -> None:
            client.post(cfg.url + "/page", json={"event": d.event}, timeout=5)

    sinks.register(PagerSink())
    assert sink_from_spec({"type": "inhouse_pager", "url": server.url}) == Pager(server.url)
    drv = Driver([Pager(server.url)])
    drv.task("failed")
    assert Dispatcher(drv.settings, base_s=0.01, max_s=0.05).drain(20)
    assert [r.path for r in server.accepted] == ["/page"]


def test_an_unknown_type_is_named_with_the_known_ones(plugin: Path) -> None:
    with pytest.raises(IncidentConfigError, match=r"unknown incident sink type 'nope'; known: "
                                                  r"acme, jira"):
        sink_from_spec({"type": "nope"})


def test_a_broken_entry_point_is_logged_and_left_out(tmp_path: Path, fresh_registry: None,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    info = tmp_path / "broken_sinks-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-sinks\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[legato.incident_sinks]\nbroken = no_such_module:X\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert sinks.get("broken") is None and sinks.get("jira") is not None
    assert "incident sink entry point broken (no_such_module:X) not loaded" in caplog.text
