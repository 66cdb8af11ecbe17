"""Dead-letter use cases for the CLI and the API: list, show, fix, discard, replay.

Replay is exactly-once per letter. For each chosen letter: a `pending` one is re-validated
through its contract (found by name in its DAG file); still failing, it stays pending with the
new reasons; passing, it moves to `replaying` (committed), is delivered to its destination
under the letter's key, and moves to `replayed`. Destinations land a key at most once
(see quality/destinations.py), so a replay killed after delivery and before the last step
leaves the letter `replaying`, and the next replay delivers it again — which lands nothing —
and finishes it. A `replaying` letter is never edited (fix refuses), so what is re-delivered
is what was validated.

Display masks secrets (issue 10 item 12): a record or a reason can carry a password a task
read, and viewers see letters. Every letter these functions return (list, show, fix, discard)
and every reason and message in a replay report has the known secrets replaced by `***`, as
task logs do: the stored connection passwords and sensitive variables (decrypted in this
process once per version), `LEGATO_CONN_*` / `LEGATO_VAR_*` and whatever this process was told
to mask. The stored record is never changed by masking, and replay delivers the raw record.
So a fix made from a masked copy stores `***` where the secret was: fix such a record from its
source rather than from the copy shown.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from ..config import Settings
from ..errors import InvalidInput
from ..security.masking import mask, mask_value, watch_environment
from ..security.secrets import SecretStore
from ..store import dead_letters as store
from ..store.db import open_engine
from .rows import by_id

REPLAYABLE = ("pending", "replaying")
_BATCH = 500


@dataclass
class ReplayReport:
    replayed: list[int] = field(default_factory=list)        # landed (or found landed) now
    still_invalid: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    skipped: dict[int, str] = field(default_factory=dict)     # not replayable: why
    failed: dict[int, str] = field(default_factory=dict)      # could not be delivered: why

    def to_json(self) -> dict[str, Any]:
        return {"replayed": self.replayed,
                "still_invalid": {str(k): v for k, v in self.still_invalid.items()},
                "skipped": {str(k): v for k, v in self.skipped.items()},
                "failed": {str(k): v for k, v in self.failed.items()}}


def _now() -> datetime:
    return datetime.now(UTC)


def _learn_secrets(settings: Settings) -> None:
    """Make every secret this deployment knows maskable in this process."""
    watch_environment()
    SecretStore(settings.database_url, settings.home).mask_all()


def _masked(letter: store.DeadLetter) -> store.DeadLetter:
    return replace(letter, record=mask_value(letter.record), errors=mask_value(letter.errors),
                   source=None if letter.source is None else mask(letter.source))


def _masked_report(report: ReplayReport) -> ReplayReport:
    return ReplayReport(replayed=report.replayed,
                        still_invalid={k: mask_value(v) for k, v in report.still_invalid.items()},
                        skipped={k: mask(v) for k, v in report.skipped.items()},
                        failed={k: mask(v) for k, v in report.failed.items()})


def list_letters(settings: Settings, *, dag_id: str | None = None, status: str | None = None,
                 task_id: str | None = None, run_id: str | None = None,
                 limit: int | None = 1000, offset: int = 0) -> list[store.DeadLetter]:
    """Letters, oldest first, secrets masked."""
    if status is not None and status not in store.STATUSES:
        raise InvalidInput(f"unknown status {status!r}: use one of {', '.join(store.STATUSES)}")
    with open_engine(settings.database_url).connect() as conn:
        letters = store.query(conn, dag_id=dag_id, status=status, task_id=task_id,
                              run_id=run_id, limit=limit, offset=offset)
    if letters:
        _learn_secrets(settings)
    return [_masked(x) for x in letters]


def _get(settings: Settings, letter_id: int) -> store.DeadLetter:
    """One letter as stored (raw: for the use cases, never for display)."""
    return by_id(settings, store.get, letter_id, "dead letter")


def show(settings: Settings, letter_id: int) -> store.DeadLetter:
    """One letter, secrets masked."""
    letter = _get(settings, letter_id)
    _learn_secrets(settings)
    return _masked(letter)


def fix(settings: Settings, letter_id: int, record: Any) -> store.DeadLetter:
    """Replace a pending letter's record (it is re-validated when replayed)."""
    current = _get(settings, letter_id)
    with open_engine(settings.database_url).begin() as conn:
        moved = store.transition(conn, letter_id, ("pending",), "pending", _now(), record=record)
    if not moved:
        raise InvalidInput(f"dead letter {letter_id} is {current.status}; only a pending one "
                           f"can be fixed")
    return show(settings, letter_id)


def discard(settings: Settings, letter_id: int) -> store.DeadLetter:
    current = _get(settings, letter_id)
    with open_engine(settings.database_url).begin() as conn:
        moved = store.transition(conn, letter_id, ("pending",), "discarded", _now())
    if not moved:
        raise InvalidInput(f"dead letter {letter_id} is {current.status}; only a pending one "
                           f"can be discarded")
    return show(settings, letter_id)


def choose(settings: Settings, ids: Sequence[int] = (), *, dag_id: str | None = None,
           all_: bool = False) -> tuple[list[store.DeadLetter], dict[int, str]]:
    """The letters a replay is asked for, and the ids asked for that do not exist."""
    if not ids and dag_id is None and not all_:
        raise InvalidInput("say which dead letters to replay: ids, a DAG, or all")
    with open_engine(settings.database_url).connect() as conn:
        if ids:
            letters = store.get_many(conn, ids)
            if dag_id is not None:
                letters = [x for x in letters if x.dag_id == dag_id]
        else:
            letters = [x for s in REPLAYABLE
                       for x in store.query(conn, dag_id=dag_id, status=s, limit=None)]
    found = {x.id for x in letters}
    return letters, {i: "no such dead letter" for i in ids if i not in found}


def replay(settings: Settings, ids: Sequence[int] = (), *, dag_id: str | None = None,
           all_: bool = False) -> ReplayReport:
    """Re-validate the chosen letters and deliver the ones that pass, each exactly once."""
    letters, missing = choose(settings, ids, dag_id=dag_id, all_=all_)
    report = ReplayReport(skipped=dict(missing))
    groups: dict[tuple[str | None, str, str | None], list[store.DeadLetter]] = defaultdict(list)
    for letter in sorted(letters, key=lambda x: x.id):
        if letter.status not in REPLAYABLE:
            report.skipped[letter.id] = f"status is {letter.status}"
        else:
            groups[(letter.fileloc, letter.contract, letter.destination)].append(letter)
    for (fileloc, contract_name, dest_name), group in groups.items():
        _replay_group(settings, fileloc, contract_name, dest_name, group, report)
    report.replayed.sort()
    if report.still_invalid or report.failed:
        _learn_secrets(settings)
    return _masked_report(report)


def _resolve(fileloc: str | None, contract_name: str, dest_name: str | None) -> tuple[Any, Any]:
    from ..quality.registry import resolve

    if dest_name is None:
        raise LookupError("no destination was recorded: pass destination= to validate() in "
                          "the task so replay knows where records land")
    return resolve("contract", contract_name, fileloc), resolve("destination", dest_name, fileloc)


def _replay_group(settings: Settings, fileloc: str | None, contract_name: str,
                  dest_name: str | None, group: list[store.DeadLetter],
                  report: ReplayReport) -> None:
    try:
        contract, destination = _resolve(fileloc, contract_name, dest_name)
    except LookupError as exc:
        report.failed.update({x.id: str(exc) for x in group})
        return
    ready = _claim(settings, contract, group, report)
    for start in range(0, len(ready), _BATCH):
        batch = ready[start:start + _BATCH]
        try:
            destination.deliver([(x.key, x.record) for x in batch])
        except Exception as exc:  # noqa: BLE001 - the letters stay `replaying`, retried next time
            report.failed.update({x.id: f"delivery failed: {type(exc).__name__}: {exc}"
                                  for x in batch})
            continue
        _finish(settings, batch, report)


def _claim(settings: Settings, contract: Any, group: list[store.DeadLetter],
           report: ReplayReport) -> list[store.DeadLetter]:
    """Re-validate pending letters; move the passing ones to `replaying` (committed before any
    delivery). Letters already `replaying` were validated by the replay that claimed them."""
    ready: list[store.DeadLetter] = []
    with open_engine(settings.database_url).begin() as conn:
        for letter in group:
            if letter.status == "replaying":
                ready.append(letter)
                continue
            reasons = contract.check(letter.record)
            now = _now()
            if reasons:
                store.transition(conn, letter.id, ("pending",), "pending", now, errors=reasons)
                report.still_invalid[letter.id] = reasons
            elif store.transition(conn, letter.id, ("pending",), "replaying", now):
                ready.append(letter)
            else:
                report.skipped[letter.id] = "changed by someone else during replay"
    return ready


def _finish(settings: Settings, batch: list[store.DeadLetter], report: ReplayReport) -> None:
    with open_engine(settings.database_url).begin() as conn:
        now = _now()
        for letter in batch:
            store.transition(conn, letter.id, ("replaying",), "replayed", now, replayed_at=now)
            report.replayed.append(letter.id)
