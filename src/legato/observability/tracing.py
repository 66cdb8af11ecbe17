"""OpenTelemetry traces, built from bus events after commit: one trace per run, whose root
span is the run (from its start to its end), and one child span per task try (named after the
task, from the try's start to its end). Optional: `pip install legato[otel]`, then
`LEGATO_OTEL=console` (spans as JSON on stdout) or `LEGATO_OTEL=otlp` (needs
`opentelemetry-exporter-otlp`; endpoint, headers and protocol from the standard
OTEL_EXPORTER_OTLP_* variables, `http/protobuf` unless OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL
says `grpc`). OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES name the service (default
"legato"); OTEL_TRACES_SAMPLER samples whole runs. opentelemetry is imported only when on.

Ids are derived from the run, not drawn at random: trace id = hash(run id), root span id =
hash(run id), try span id = hash(run id, task, map index, try). A try's span is exported when
the try ends, before its run's span (whose id it already knows), and a scheduler that restarts
mid-run continues the same trace. Legato uses a TracerProvider of its own, so it neither
needs nor disturbs a global one the DAG's code may set up.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..config import Settings
from ..engine.bus import Bus, RunFinished, TaskFinished
from ..store import runs as run_store
from ..store.db import open_engine

FAILED_STATES = ("failed", "up_for_retry")
_lock = threading.Lock()
_tracer: RunTracer | None = None
_unavailable: str | None = None
log = logging.getLogger("legato.tracing")


class OtelUnavailable(RuntimeError):
    """LEGATO_OTEL asks for something that is not installed."""


def trace_id_of(run_id: str) -> int:
    return int.from_bytes(hashlib.sha256(b"legato-trace\0" + run_id.encode()).digest()[:16]) or 1


def run_span_id_of(run_id: str) -> int:
    return int.from_bytes(hashlib.sha256(b"legato-run\0" + run_id.encode()).digest()[:8]) or 1


def try_span_id_of(run_id: str, task_id: str, map_index: int, try_number: int) -> int:
    key = f"legato-try\0{run_id}\0{task_id}\0{map_index}\0{try_number}".encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:8]) or 1


def _ns(at: datetime) -> int:
    return int(at.timestamp() * 1_000_000) * 1000


def _id_generator() -> Any:
    """An IdGenerator that hands out the ids set for the next span (per thread), random else."""
    from opentelemetry.sdk.trace.id_generator import RandomIdGenerator

    class RunIds(RandomIdGenerator):
        def __init__(self) -> None:
            self.next = threading.local()

        def generate_span_id(self) -> int:
            chosen = getattr(self.next, "span", None)
            self.next.span = None
            return chosen or super().generate_span_id()

        def generate_trace_id(self) -> int:
            chosen = getattr(self.next, "trace", None)
            self.next.trace = None
            return chosen or super().generate_trace_id()

        def is_trace_id_random(self) -> bool:
            return False

    return RunIds()


def _exporter(mode: str) -> Any:
    if mode == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    protocol = (os.environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
                or os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL") or "http/protobuf")
    kind = "grpc" if protocol == "grpc" else "http"
    try:
        if kind == "grpc":
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
        else:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    except ImportError as exc:
        raise OtelUnavailable(f"LEGATO_OTEL=otlp ({protocol}) needs the OTLP exporter: pip install "
                              f"opentelemetry-exporter-otlp ({exc})") from None
    return OTLPSpanExporter()


def build_provider(exporter: Any, *, batch: bool = True) -> Any:
    """A TracerProvider of Legato's own exporting to `exporter` (batched, or one by one)."""
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    attributes = {} if os.environ.get("OTEL_SERVICE_NAME") else {"service.name": "legato"}
    provider = TracerProvider(resource=Resource.create(attributes), id_generator=_id_generator())
    processor = BatchSpanProcessor(exporter) if batch else SimpleSpanProcessor(exporter)
    provider.add_span_processor(processor)
    return provider


class RunTracer:
    """Turns TaskFinished and RunFinished into spans. Thread-safe (ids are per thread)."""

    def __init__(self, provider: Any) -> None:
        from opentelemetry import trace
        from opentelemetry.context import Context

        self._trace, self._empty = trace, Context()
        self.provider = provider
        self.tracer = provider.get_tracer("legato")
        self._ids = provider.id_generator
        self._flags: dict[str, Any] = {}         # run id -> trace flags (sampled or not)

    def _sampled(self, run_id: str, dag_id: str) -> Any:
        flags = self._flags.get(run_id)
        if flags is None:
            result = self.provider.sampler.should_sample(None, trace_id_of(run_id), dag_id)
            sampled = result.decision.is_sampled()
            flags = self._trace.TraceFlags(self._trace.TraceFlags.SAMPLED if sampled else 0)
            if len(self._flags) > 10_000:
                self._flags.clear()
            self._flags[run_id] = flags
        return flags

    def _start(self, name: str, context: Any, trace_id: int | None, span_id: int,
               start: datetime, attributes: dict[str, Any]) -> Any:
        self._ids.next.trace, self._ids.next.span = trace_id, span_id
        try:
            return self.tracer.start_span(name, context=context, start_time=_ns(start),
                                          attributes=attributes)
        finally:
            self._ids.next.trace = self._ids.next.span = None

    def _end(self, span: Any, failed: bool, message: str | None, end: datetime) -> None:
        if failed:
            from opentelemetry.trace import Status, StatusCode

            span.set_status(Status(StatusCode.ERROR, message))
        span.end(end_time=_ns(end))

    def on_task(self, ev: TaskFinished) -> None:
        parent_ctx = self._trace.SpanContext(
            trace_id_of(ev.run_id), run_span_id_of(ev.run_id), is_remote=True,
            trace_flags=self._sampled(ev.run_id, ev.dag_id))
        parent = self._trace.set_span_in_context(self._trace.NonRecordingSpan(parent_ctx),
                                                 self._empty)
        attributes = {"legato.dag_id": ev.dag_id, "legato.run_id": ev.run_id,
                      "legato.task_id": ev.task_id, "legato.try_number": ev.try_number,
                      "legato.map_index": ev.map_index, "legato.state": ev.state}
        if ev.error_type:
            attributes["legato.error_type"] = ev.error_type
        span = self._start(ev.task_id, parent, None,
                           try_span_id_of(ev.run_id, ev.task_id, ev.map_index, ev.try_number),
                           ev.started_at or ev.at, attributes)
        message = f"{ev.error_type}: {ev.error}" if ev.error_type else ev.error
        self._end(span, ev.state in FAILED_STATES, message, ev.at)

    def on_run(self, ev: RunFinished, run: run_store.RunRow | None) -> None:
        start = (run.start_date or run.created_at) if run is not None else ev.at
        attributes: dict[str, Any] = {"legato.dag_id": ev.dag_id, "legato.run_id": ev.run_id,
                                      "legato.state": ev.state}
        if run is not None:
            attributes["legato.run_type"] = run.run_type
            attributes["legato.logical_date"] = run.logical_date.isoformat()
        span = self._start(ev.dag_id, self._empty, trace_id_of(ev.run_id),
                           run_span_id_of(ev.run_id), min(start, ev.at), attributes)
        self._flags.pop(ev.run_id, None)
        self._end(span, ev.state == "failed", f"run {ev.run_id} failed", ev.at)

    def flush(self, timeout_s: float = 10.0) -> bool:
        return bool(self.provider.force_flush(int(timeout_s * 1000)))


@dataclass
class TraceListener:
    """One bus's subscription: the process's tracer and the store to read run starts from."""
    tracer: RunTracer
    database_url: str

    def attach(self, bus: Bus) -> TraceListener:
        bus.subscribe(TaskFinished, self.tracer.on_task)
        bus.subscribe(RunFinished, self.on_run)
        return self

    def on_run(self, ev: RunFinished) -> None:
        with open_engine(self.database_url).connect() as conn:
            run = run_store.get_run(conn, ev.run_id)
        self.tracer.on_run(ev, run)


def use_exporter(exporter: Any, *, batch: bool = False) -> RunTracer:
    """Make the process's tracer export to `exporter` (tests: an InMemorySpanExporter;
    embedders: any SpanExporter). Still needs LEGATO_OTEL set for buses to use it."""
    global _tracer
    with _lock:
        if _tracer is not None:
            _tracer.provider.shutdown()
        _tracer = RunTracer(build_provider(exporter, batch=batch))
        return _tracer


def reset() -> None:
    """Shut the process's tracer down (flushing it); the next attach builds a new one."""
    global _tracer, _unavailable
    with _lock:
        if _tracer is not None:
            _tracer.provider.shutdown()
        _tracer, _unavailable = None, None


def _build(mode: str) -> RunTracer:
    try:
        return RunTracer(build_provider(_exporter(mode)))
    except ImportError as exc:
        raise OtelUnavailable(f"LEGATO_OTEL={mode} needs opentelemetry-sdk: pip install "
                              f"'legato[otel]' ({exc})") from None


def tracer_for(settings: Settings) -> RunTracer | None:
    """The process's tracer when LEGATO_OTEL is on (built on first use), else None. If what
    it needs is not installed, that is logged once as an error and runs go on untraced (a run
    must not fail, or be left half-started, for want of its traces)."""
    global _tracer, _unavailable
    if not settings.otel:
        return None
    with _lock:
        if _tracer is None and _unavailable is None:
            try:
                _tracer = _build(settings.otel)
            except OtelUnavailable as exc:
                _unavailable = str(exc)
                log.error("no traces: %s", exc)
        return _tracer
