"""Sink configs are cheap to import: DAG files import them, workers import DAG files."""

from __future__ import annotations

import subprocess
import sys


def test_sink_configs_import_without_httpx_or_the_store() -> None:
    code = ("import sys\n"
            "from legato.incidents import Webhook, Jira, ServiceNow, Zendesk, PagerDuty, "
            "Opsgenie, Slack\n"
            "print([m for m in ('httpx', 'sqlalchemy', 'legato.store') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"
