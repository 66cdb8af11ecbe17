"""The operations pages of the web UI: incidents, dead letters (with fix, discard, replay) and
drift reports, over services/incidents.py, services/dead_letters.py and services/quality.py.

Built like routes.py (see its docstring): one template and one route function per page, the
same sessions, roles and CSRF checks; changes are audited as the API audits them (actions
"fix", "discard", "replay", with `"via": "ui"` in the detail). The incident list polls
/ui/api/incidents, whose JSON carries `items` ({incident id: state}) and `counts` (figures
as text) for legato.js to update in place; a new or vanished incident swaps in a fresh <main>.
An incident's page polls /ui/api/incidents/{id}, whose `version` changes with anything the
page shows beyond states (a new event, a delivery attempt): then the script swaps <main> too.

Replay renders the list again with the replay report on top (no redirect: the report carries
reasons that do not fit a URL; a re-post replays nothing twice, replay is exactly-once).
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

from ...config import Settings
from ...errors import InvalidInput
from ...services import dead_letters, incidents, quality, ui_format
from ...services.ui_views import digest
from ...store import dead_letters as letter_store
from .routes import Recorder, render
from .session import MAX_FORM_BYTES, UiSession, check_csrf, require_session, safe_next

MAX_ID = 2**31 - 1
MAX_SELECTED = 1000
PAGE = 500                      # dead letters per page of the list
Id = Annotated[int, Path(ge=1, le=MAX_ID)]
Text = Annotated[str | None, Query(max_length=250)]
INCIDENT_STATES = ("open", "resolved", "all")
MAX_RECORD_CHARS = 60_000


def duration(seconds: float | None) -> str:
    """A span in whole seconds: "42 s", "3 min 5 s", "2 h 10 min", "3 d 4 h"; "—" for none."""
    return ui_format.duration(seconds, whole=True)


def preview(record: Any, limit: int = 120) -> str:
    text = json.dumps(record, sort_keys=True, default=str)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _clean(value: str | None, what: str) -> str | None:
    """An optional text filter: empty means none; NUL is refused (no database stores it)."""
    if value is None or value == "":
        return None
    if "\x00" in value:
        raise InvalidInput(f"{what} may not contain NUL characters")
    return value


async def read_multi_form(request: Request) -> dict[str, list[str]]:
    """An urlencoded form keeping every value of a repeated field (the replay checkboxes)."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise InvalidInput("form too large")
    try:
        return parse_qs(body.decode(), keep_blank_values=True, max_num_fields=MAX_SELECTED + 10)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput(f"unreadable form: {exc}") from None


def _no_constant(name: str) -> Any:
    raise InvalidInput(f"{name} is not a JSON number")


def _first(form: dict[str, list[str]]) -> dict[str, str]:
    return {k: v[0] for k, v in form.items()}


def _ids(values: list[str]) -> list[int]:
    ids = []
    for v in values:
        if not v.isdigit() or not 1 <= int(v) <= MAX_ID:
            raise InvalidInput(f"not a dead-letter id: {v[:40]!r}")
        ids.append(int(v))
    return sorted(set(ids))


def _figures_view(figures: dict[str, Any]) -> dict[str, Any]:
    return {"open": figures["open"], "mttr": duration(figures["mttr_s"]),
            "dags": [{**d, "mttr": duration(d["mttr_s"])} for d in figures["dags"]]}


def _counts(figures: dict[str, Any]) -> dict[str, str]:
    view = _figures_view(figures)
    counts = {"open": str(view["open"]), "mttr": view["mttr"]}
    for d in view["dags"]:
        counts[f"open:{d['dag_id']}"] = str(d["open"])
        counts[f"resolved:{d['dag_id']}"] = str(d["resolved"])
        counts[f"mttr:{d['dag_id']}"] = d["mttr"]
    return counts


def _version(detail: incidents.IncidentDetail) -> str:
    """Changes whenever the incident page would draw something else (a new event, a delivery
    attempt), so the polling script knows to swap in a fresh copy."""
    inc = detail.incident
    parts = [inc.state, inc.occurrences, inc.tries, len(detail.events),
             *((d.id, d.state, d.attempts) for d in detail.deliveries)]
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]


def _max_ks(report: dict[str, Any]) -> float | None:
    values = [c["ks"] for c in (report.get("columns") or {}).values() if c.get("ks") is not None]
    return max(values) if values else None


def incident_rows(settings: Settings, state: str, dag: str | None) -> list[Any]:
    if state not in INCIDENT_STATES:
        raise InvalidInput(f"state must be one of {', '.join(INCIDENT_STATES)}, not {state!r}")
    return incidents.list_incidents(settings, None if state == "all" else state,
                                    _clean(dag, "dag"), limit=500)


def incident_list_payload(settings: Settings, state: str, dag: str | None) -> dict[str, Any]:
    """The live JSON of the incident list: states by incident, and the figures as text."""
    rows = incident_rows(settings, state, dag)
    items = {f"incident:{i.id}": i.state for i in rows}
    return {"set": digest(sorted(items)), "items": items,
            "counts": _counts(incidents.incident_figures(settings))}


def incident_detail_payload(detail: incidents.IncidentDetail) -> dict[str, Any]:
    inc = detail.incident
    return {"items": {f"incident:{inc.id}": inc.state},
            "counts": {"occurrences": str(inc.occurrences), "tries": str(inc.tries)},
            "version": _version(detail)}


def build_ops_ui(settings: Settings, record: Recorder) -> APIRouter:
    router = APIRouter(prefix="/ui", include_in_schema=False)

    def role(needed: str) -> Any:
        def check(request: Request) -> UiSession:
            return require_session(settings, request, needed)
        return Depends(check)

    viewer, operator = role("viewer"), role("operator")

    # -- incidents --------------------------------------------------------------------------
    @router.get("/incidents")
    def incident_list(request: Request, session: UiSession = viewer,
                      state: Annotated[str, Query(max_length=20)] = "all",
                      dag: Text = None) -> HTMLResponse:
        rows = incident_rows(settings, state, dag)
        figures = _figures_view(incidents.incident_figures(settings))
        return render(request, session, "incidents.html", incidents=rows, figures=figures,
                      live_set=digest(sorted(f"incident:{i.id}" for i in rows)),
                      state=state, dag=dag or "", states=INCIDENT_STATES,
                      poll="/ui/api/incidents" + (f"?{request.url.query}" if request.url.query else ""))

    @router.get("/api/incidents")
    def incident_json(_: UiSession = viewer, state: Annotated[str, Query(max_length=20)] = "all",
                      dag: Text = None) -> JSONResponse:
        return JSONResponse(incident_list_payload(settings, state, dag))

    @router.get("/incidents/{incident_id}")
    def incident_page(request: Request, incident_id: Id, session: UiSession = viewer) -> HTMLResponse:
        detail = incidents.show_incident(settings, incident_id)
        return render(request, session, "incident.html", detail=detail, inc=detail.incident,
                      duration=duration, version=_version(detail))

    @router.get("/api/incidents/{incident_id}")
    def incident_detail_json(incident_id: Id, _: UiSession = viewer) -> JSONResponse:
        return JSONResponse(incident_detail_payload(incidents.show_incident(settings, incident_id)))

    # -- dead letters -----------------------------------------------------------------------
    def dlq_page(request: Request, session: UiSession, dag: str | None, status: str | None,
                 report: dead_letters.ReplayReport | None = None, http_status: int = 200,
                 message: str | None = None, offset: int = 0) -> HTMLResponse:
        dag, status = _clean(dag, "dag"), _clean(status, "status")
        letters = dead_letters.list_letters(settings, dag_id=dag, status=status, limit=PAGE + 1,
                                            offset=offset)
        return render(request, session, "dlq.html", status=http_status, letters=letters[:PAGE],
                      dag=dag or "", chosen_status=status or "", statuses=letter_store.STATUSES,
                      report=report, message=message, preview=preview, offset=offset, page=PAGE,
                      more=len(letters) > PAGE)

    @router.get("/dlq")
    def dlq(request: Request, session: UiSession = viewer, dag: Text = None,
            status: Annotated[str | None, Query(max_length=20)] = None,
            offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0) -> HTMLResponse:
        return dlq_page(request, session, dag, status, offset=offset)

    # before /dlq/{letter_id}, so that POST /dlq/replay is not read as a fix of letter "replay"
    @router.post("/dlq/replay")
    def replay(request: Request, session: UiSession = operator,
               form: dict[str, list[str]] = Depends(read_multi_form)) -> HTMLResponse:
        check_csrf(request, session, _first(form))
        ids = _ids(form.get("id", []))
        if len(ids) > MAX_SELECTED:
            raise InvalidInput(f"choose at most {MAX_SELECTED} dead letters at once")
        dag, status = _clean(_first(form).get("dag"), "dag"), _clean(_first(form).get("status"), "status")
        if status is not None and status not in letter_store.STATUSES:
            raise InvalidInput(f"unknown status {status!r}: use one of {', '.join(letter_store.STATUSES)}")
        if not ids:
            return dlq_page(request, session, dag, status, http_status=400,
                            message="Select at least one dead letter to replay.")
        report = dead_letters.replay(settings, ids)
        record(session.token, "replay", "dead_letters:ids",
               {"ids": ids, "dag_id": None, "all": False, "replayed": report.replayed,
                "still_invalid": sorted(report.still_invalid), "failed": sorted(report.failed),
                "via": "ui"})
        return dlq_page(request, session, dag, status, report=report)

    def letter_page(request: Request, session: UiSession, letter_id: int, *, http_status: int = 200,
                    message: str | None = None, text: str | None = None,
                    flash: str | None = None) -> HTMLResponse:
        letter = dead_letters.show(settings, letter_id)
        pretty = json.dumps(letter.record, indent=2, sort_keys=True, default=str)
        return render(request, session, "dead_letter.html", status=http_status, letter=letter,
                      pretty=pretty, text=pretty if text is None else text, message=message,
                      flash=flash)

    @router.get("/dlq/{letter_id}")
    def letter(request: Request, letter_id: Id, session: UiSession = viewer,
               flash: Annotated[str | None, Query(max_length=20)] = None) -> HTMLResponse:
        known = {"fixed": "Record saved; replay it to deliver it.", "discarded": "Discarded."}
        return letter_page(request, session, letter_id, flash=known.get(flash or ""))

    @router.post("/dlq/{letter_id}")
    def fix(request: Request, letter_id: Id, session: UiSession = operator,
            form: dict[str, list[str]] = Depends(read_multi_form)) -> Any:
        fields = _first(form)
        check_csrf(request, session, fields)
        text = fields.get("record", "")
        if len(text) > MAX_RECORD_CHARS:
            return letter_page(request, session, letter_id, http_status=400, text=text[:MAX_RECORD_CHARS],
                               message=f"The record is longer than {MAX_RECORD_CHARS} characters.")
        try:
            value = json.loads(text, parse_constant=_no_constant)
        except (ValueError, RecursionError) as exc:
            reason = "it is nested too deeply" if isinstance(exc, RecursionError) else str(exc)
            return letter_page(request, session, letter_id, http_status=400, text=text,
                               message=f"That is not valid JSON: {reason}. Nothing was saved.")
        try:
            dead_letters.fix(settings, letter_id, value)
        except ValueError as exc:
            return letter_page(request, session, letter_id, http_status=400, text=text, message=str(exc))
        record(session.token, "fix", f"dead_letter:{letter_id}", {"id": letter_id, "via": "ui"})
        return RedirectResponse(f"/ui/dlq/{letter_id}?flash=fixed", status_code=303)

    @router.post("/dlq/{letter_id}/discard")
    def discard(request: Request, letter_id: Id, session: UiSession = operator,
                form: dict[str, list[str]] = Depends(read_multi_form)) -> Any:
        fields = _first(form)
        check_csrf(request, session, fields)
        try:
            dead_letters.discard(settings, letter_id)
        except ValueError as exc:
            return letter_page(request, session, letter_id, http_status=400, message=str(exc))
        record(session.token, "discard", f"dead_letter:{letter_id}", {"id": letter_id, "via": "ui"})
        target = safe_next(fields.get("next"), default=f"/ui/dlq/{letter_id}?flash=discarded")
        return RedirectResponse(target, status_code=303)

    # -- drift reports ----------------------------------------------------------------------
    @router.get("/quality")
    def reports(request: Request, session: UiSession = viewer, dataset: Text = None,
                status: Annotated[str | None, Query(max_length=20)] = None) -> HTMLResponse:
        rows = quality.list_reports(settings, dataset=_clean(dataset, "dataset"),
                                    status=_clean(status, "status"), limit=500)
        return render(request, session, "quality.html", reports=rows, max_ks=_max_ks,
                      dataset=dataset or "", chosen_status=status or "",
                      statuses=quality.REPORT_STATUSES)

    @router.get("/quality/{report_id}")
    def report(request: Request, report_id: Id, session: UiSession = viewer) -> HTMLResponse:
        found = quality.get_report(settings, report_id)
        columns = sorted((found.report.get("columns") or {}).items())
        return render(request, session, "quality_report.html", r=found, body=found.report,
                      columns=columns, max_ks=_max_ks(found.report))

    return router
