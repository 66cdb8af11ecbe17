"""Drift: compare a profile with its dataset's reference (PSI and KS per column), and the gate.

`compare(reference, current)` is pure. Numeric columns: PSI over the reference's deciles
(the current fractions in the same bins) and the two-sample KS statistic between the two
sketches (exact up to 1,000 rows, within about 1/1,000 beyond). Categorical columns: PSI over
the reference's categories plus "other"; no KS. A column drifts when its PSI is over
`threshold` or its KS over `ks_threshold`; a reference column missing from the data drifts.

`drift_gate(data, dataset=...)` is the gate in front of publishing: the first data a dataset
sees becomes its reference (unless one was pinned); later data is compared; above the
threshold the data is written to quarantine ($LEGATO_HOME/quarantine/<dataset>/...), the report
is stored with status `held`, and DataQualityError is raised (the task fails, an incident
opens); below it the report is stored as `passed` and the data is returned unchanged.

Which columns are gated: `columns=[...]` names them; otherwise every column but identifiers
and time stamps (profile.exclusion: they take new values every day, so identical data would
be held); `exclude=[...]` removes more. The reference remembers the gated columns it was taken
with. When they change (other `columns`/`exclude`, a column added to the data) the data is
compared on the gated columns the reference has and, if it passes, becomes the new reference
(status `baseline`), so the new set is gated from then on; a pinned reference is never
replaced this way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..atomicfile import atomic_open
from ..authoring.context import Context, current_context
from . import stats
from .errors import DataQualityError
from .profile import OTHER, as_records, profile

DEFAULT_PSI_THRESHOLD = 0.2     # the usual rule of thumb: above 0.2 a population has shifted
DEFAULT_KS_THRESHOLD = 0.2


def _categorical_psi(ref: dict[str, Any], cur: dict[str, Any]) -> float:
    keys = [k for k in ref["frequencies"] if k != OTHER]
    expected = [ref["frequencies"][k] for k in keys]
    actual = [cur.get("frequencies", {}).get(k, 0.0) for k in keys]
    expected.append(max(0.0, 1.0 - sum(expected)))
    actual.append(max(0.0, 1.0 - sum(actual)))
    return stats.psi(expected, actual)


def compare_column(ref: dict[str, Any], cur: dict[str, Any] | None, threshold: float,
                   ks_threshold: float) -> dict[str, Any]:
    if cur is None or cur.get("kind") == "empty":
        return {"kind": ref.get("kind"), "psi": None, "ks": None, "drifted": True,
                "reason": "no values in the new data"}
    if ref.get("kind") == "numeric" and cur.get("kind") == "numeric":
        value_psi = stats.psi(ref["psi_fractions"],
                              stats.bin_fractions(cur["sketch"], ref["psi_edges"]))
        ks = stats.ks_statistic(ref["sketch"], cur["sketch"])
        return {"kind": "numeric", "psi": value_psi, "ks": ks,
                "drifted": value_psi > threshold or ks > ks_threshold,
                "mean": {"reference": ref["mean"], "current": cur["mean"]}}
    if ref.get("kind") == "categorical" and cur.get("kind") == "categorical":
        value_psi = _categorical_psi(ref, cur)
        return {"kind": "categorical", "psi": value_psi, "ks": None,
                "drifted": value_psi > threshold}
    return {"kind": cur.get("kind"), "psi": None, "ks": None, "drifted": True,
            "reason": f"type changed from {ref.get('kind')} to {cur.get('kind')}"}


def compare(reference: dict[str, Any], current: dict[str, Any], *,
            threshold: float = DEFAULT_PSI_THRESHOLD,
            ks_threshold: float = DEFAULT_KS_THRESHOLD,
            columns: Sequence[str] | None = None) -> dict[str, Any]:
    """The drift report of `current` against `reference` (both profiles), on `columns` (default:
    every column of the reference). A gated column the reference lacks is listed in
    `new_columns`, not judged."""
    ref_cols = reference["columns"]
    names = list(ref_cols) if columns is None else [n for n in columns if n in ref_cols]
    compared = {name: compare_column(ref_cols[name], current["columns"].get(name), threshold,
                                     ks_threshold)
                for name in names if ref_cols[name].get("kind") != "empty"}
    drifted = [n for n, c in compared.items() if c["drifted"]]
    psis = [c["psi"] for c in compared.values() if c["psi"] is not None]
    wanted = set(current["columns"]) if columns is None else set(columns)
    return {"threshold": threshold, "ks_threshold": ks_threshold, "drifted": drifted,
            "max_psi": max(psis) if psis else None, "columns": compared,
            "new_columns": sorted(wanted - set(ref_cols)),
            "row_count": current["row_count"], "reference_row_count": reference["row_count"]}


def _names(value: Sequence[str] | None, what: str) -> list[str] | None:
    if value is None:
        return None
    if isinstance(value, str) or not all(isinstance(v, str) for v in value):
        raise TypeError(f"drift_gate: {what} must be a list of column names, got {value!r}")
    return list(dict.fromkeys(value))


def gated_columns(current: dict[str, Any], reference: dict[str, Any] | None,
                  columns: Sequence[str] | None = None,
                  exclude: Sequence[str] = ()) -> tuple[list[str], dict[str, str]]:
    """(the columns the gate compares, {left-out column: why}). Without `columns`, a column
    is left out when either profile marks it `auto_exclude` (profile.exclusion)."""
    chosen, dropped = _names(columns, "columns"), _names(exclude, "exclude") or []
    excluded: dict[str, str] = {}
    if chosen is None:
        chosen = []
        profiles = [p for p in (current, reference) if p is not None]
        for name in dict.fromkeys(n for p in profiles for n in p["columns"]):
            reason = next((p["columns"][name]["auto_exclude"] for p in profiles
                           if "auto_exclude" in p["columns"].get(name, {})), None)
            if reason is None:
                chosen.append(name)
            else:
                excluded[name] = reason
    for name in dropped:
        if name in chosen:
            chosen.remove(name)
        excluded[name] = "exclude="
    return chosen, excluded


def _engine() -> Any:
    from ..config import store_in_use
    from ..store.db import open_engine

    return open_engine(store_in_use().database_url)


def pin_reference(dataset: str, data_or_profile: Any) -> dict[str, Any]:
    """Make `data_or_profile` (a profile, or data to profile) the dataset's reference."""
    from ..store import profiles

    prof = data_or_profile if _is_profile(data_or_profile) else profile(data_or_profile)
    ctx = current_context()
    with _engine().begin() as conn:
        profiles.pin_reference(conn, dataset, prof, run_id=ctx.run_id if ctx else None,
                               at=datetime.now(UTC))
    return prof


def _is_profile(value: Any) -> bool:
    return isinstance(value, dict) and "row_count" in value and "columns" in value


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip(".") or "_"


def quarantine(data: Any, dataset: str, ctx: Context | None) -> Path:
    """Write the held data as JSON lines under $LEGATO_HOME/quarantine/<dataset>/."""
    from ..config import store_in_use

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    name = (f"{_safe(ctx.run_id)}__{_safe(ctx.task_id)}__try{ctx.try_number}.jsonl" if ctx
            else f"adhoc__{stamp}.jsonl")
    path = store_in_use().home / "quarantine" / _safe(dataset) / name
    with atomic_open(path, "w") as f:
        for record in as_records(data):
            f.write(json.dumps(record, default=str) + "\n")
    return path


def drift_gate(data: Any, *, dataset: str, threshold: float = DEFAULT_PSI_THRESHOLD,
               ks_threshold: float = DEFAULT_KS_THRESHOLD, columns: Sequence[str] | None = None,
               exclude: Sequence[str] = ()) -> Any:
    """Return `data` if it has not drifted from the dataset's reference; otherwise quarantine
    it, keep the report, and raise DataQualityError. The first data seen becomes the reference.
    `columns` / `exclude` choose the gated columns (see the module docstring)."""
    from ..store import profiles

    if not dataset:
        raise ValueError("drift_gate needs a dataset name")
    current = profile(data)
    ctx = current_context()
    engine = _engine()
    with engine.connect() as conn:
        reference = profiles.get_reference(conn, dataset)
    gated, excluded = gated_columns(current, reference.profile if reference else None,
                                    columns, exclude)
    now = datetime.now(UTC)
    record = {"dag_id": ctx.dag_id if ctx else None, "task_id": ctx.task_id if ctx else None,
              "run_id": ctx.run_id if ctx else None, "threshold": threshold, "at": now}
    if reference is None:
        _new_reference(engine, dataset, current, {"drifted": [], "columns": {}, "gated": gated,
                                                  "excluded": excluded}, record, replace=False)
        return data
    report = compare(reference.profile, current, threshold=threshold, ks_threshold=ks_threshold,
                     columns=gated)
    report.update(profile=current, gated=gated, excluded=excluded)
    held = bool(report["drifted"])
    before = _gated_of(reference.profile)
    if not held and not reference.pinned and before != gated:
        report["reason"] = f"the gated columns changed from {before} to {gated}: new reference"
        _new_reference(engine, dataset, current, report, record, replace=True)
        return data
    path = quarantine(data, dataset, ctx) if held else None
    with engine.begin() as conn:
        profiles.insert_report(conn, dataset=dataset, status="held" if held else "passed",
                               report=report, quarantine_path=str(path) if path else None,
                               **record)
    if held:
        raise DataQualityError(_held_message(dataset, report, path))
    if ctx is not None:
        ctx.log.info("dataset %r: no drift (max PSI %s)", dataset, report["max_psi"])
    return data


def _gated_of(reference: dict[str, Any]) -> list[str]:
    """The columns a reference was taken to gate; a reference from before `gate` was kept
    gated every column it has."""
    gate = reference.get("gate")
    if gate is not None:
        return list(gate["columns"])
    return [n for n, c in reference["columns"].items() if c.get("kind") != "empty"]


def _new_reference(engine: Any, dataset: str, current: dict[str, Any], report: dict[str, Any],
                   record: dict[str, Any], *, replace: bool) -> None:
    """Store `current` as the dataset's (unpinned) reference, with the columns it gates
    (`report["gated"]`), and a `baseline` report; `replace` swaps out the unpinned reference
    there is (the store has no "replace" for it, hence the statement here)."""
    import sqlalchemy as sa

    from ..store import profiles
    from ..store.schema import quality_references

    reference = {**current, "gate": {"columns": report["gated"]}}
    with engine.begin() as conn:
        if replace:
            conn.execute(sa.delete(quality_references).where(
                quality_references.c.dataset == dataset, quality_references.c.pinned.is_(False)))
        profiles.insert_reference_if_absent(conn, dataset, reference, run_id=record["run_id"],
                                            at=record["at"])
        profiles.insert_report(conn, dataset=dataset, status="baseline",
                               report={**report, "profile": current}, **record)


def _held_message(dataset: str, report: dict[str, Any], path: Path | None) -> str:
    parts = []
    for name in report["drifted"]:
        c = report["columns"][name]
        if c.get("reason"):
            parts.append(f"{name} ({c['reason']})")
        else:
            ks = f", KS {c['ks']:.3f}" if c["ks"] is not None else ""
            parts.append(f"{name} (PSI {c['psi']:.3f}{ks})")
    return (f"dataset {dataset!r} drifted from its reference: {', '.join(parts)}; thresholds "
            f"PSI {report['threshold']}, KS {report['ks_threshold']}; publication held, data "
            f"quarantined at {path}")
