"""Slack mrkdwn: `&`, `<`, `>` in DAG, task and error text reach Slack escaped, so an error
message cannot forge a link or ping a channel (issue 10 item 23)."""

from __future__ import annotations

from legato.incidents.sinks.base import Delivery
from legato.incidents.sinks.slack import message

HOSTILE = "x < 1 && y > 2 <!channel> <http://evil.example|click>"


def _delivery(event: str = "incident.opened") -> Delivery:
    incident = {"dag_id": "d<&>", "task_id": "t", "kind": "task_failure", "error_type": "Bad<T>",
                "error": HOSTILE, "run_id": "run&1", "tries": 1, "occurrences": 1,
                "log_url": "http://127.0.0.1:8080/ui/runs/r/tasks/t/logs?try=1&map_index=-1"}
    doc = {"incident": incident, "meta": {"note": "first failure of <t> & friends"}}
    return Delivery(event=event, doc=doc, ref=None, delivery_id="1", attempt=1)


def test_text_from_errors_is_escaped_and_only_the_log_link_is_a_link() -> None:
    msg = message(_delivery())
    text = msg["blocks"][0]["text"]["text"]
    assert "x &lt; 1 &amp;&amp; y &gt; 2 &lt;!channel&gt; &lt;http://evil.example|click&gt;" in text
    assert "*Incident opened: [Legato] d&lt;&amp;&gt;.t failed (Bad&lt;T&gt;)*" in text
    assert "run `run&amp;1`" in text and "of &lt;t&gt; &amp; friends" in text
    assert "`Bad&lt;T&gt;`" in text
    links = text.split("<")[1:]
    assert links == ["http://127.0.0.1:8080/ui/runs/r/tasks/t/logs?try=1&amp;map_index=-1|Task log>"]
    assert "<" not in msg["text"] and ">" not in msg["text"]
