"""`legato dlq list|show|fix|discard|replay`: the dead-letter store from the shell.

Exit codes as elsewhere: 0 done, 1 a replay left records undelivered or still invalid,
2 bad input (unknown id, a letter in the wrong status, an unreadable file).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from ..config import load_settings
from .common import JsonOpt, short, user_errors
from .output import EXIT_FAILED, console, emit_json, fail_usage, fmt_time, row_id, table

dlq_app = typer.Typer(help="Dead letters: records a contract refused.", no_args_is_help=True)


@dlq_app.command("list")
def list_cmd(
    dag: Annotated[str | None, typer.Option("--dag", help="Only this DAG's letters.")] = None,
    status: Annotated[str | None, typer.Option(
        "--status", help="pending, replaying, replayed, discarded or superseded.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many.")] = 1000,
    as_json: JsonOpt = False,
) -> None:
    """Dead letters, oldest first."""
    from ..services import dead_letters

    with user_errors():
        letters = dead_letters.list_letters(load_settings(), dag_id=dag, status=status,
                                            limit=limit)
    if as_json:
        emit_json([x.to_json() for x in letters])
        return
    rows = [[x.id, x.status, x.dag_id, x.task_id, x.contract, len(x.errors),
             short(x.errors[0]["path"] + ": " + x.errors[0]["message"] if x.errors else ""),
             fmt_time(x.created_at)] for x in letters]
    console().print(table(None, ["id", "status", "dag", "task", "contract", "errors",
                                 "first error", "created"], rows))


@dlq_app.command("show")
def show_cmd(letter_id: int, as_json: JsonOpt = False) -> None:
    """One dead letter: its record and every reason it was refused."""
    from ..services import dead_letters

    with user_errors():
        letter = dead_letters.show(load_settings(), row_id(letter_id, "dead letter"))
    if as_json:
        emit_json(letter.to_json())
        return
    out = console()
    out.print(f"dead letter {letter.id} [{letter.status}]  contract {letter.contract!r}  "
              f"destination {letter.destination!r}")
    out.print(f"from {letter.dag_id}.{letter.task_id} run {letter.run_id} "
              f"try {letter.try_number} record #{letter.record_index}"
              + (f" source {letter.source}" if letter.source else ""))
    for e in letter.errors:
        out.print(f"  {e['path']}: {e['message']}", markup=False)
    out.print(json.dumps(letter.record, indent=2, default=str), markup=False)


@dlq_app.command("fix")
def fix_cmd(
    letter_id: int,
    file: Annotated[Path, typer.Option("--file", help="A JSON file with the corrected record.")],
    as_json: JsonOpt = False,
) -> None:
    """Replace a pending letter's record with the one in FILE (replay re-validates it)."""
    from ..services import dead_letters

    try:
        record = json.loads(file.read_text())
    except OSError as exc:
        raise fail_usage(f"cannot read {file}: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise fail_usage(f"{file} is not JSON: {exc}") from None
    with user_errors():
        letter = dead_letters.fix(load_settings(), row_id(letter_id, "dead letter"), record)
    if as_json:
        emit_json(letter.to_json())
    else:
        console().print(f"dead letter {letter_id} fixed; replay it with "
                        f"`legato dlq replay {letter_id}`")


@dlq_app.command("discard")
def discard_cmd(letter_id: int, as_json: JsonOpt = False) -> None:
    """Give up on a pending letter (kept, marked discarded, never replayed)."""
    from ..services import dead_letters

    with user_errors():
        letter = dead_letters.discard(load_settings(), row_id(letter_id, "dead letter"))
    if as_json:
        emit_json(letter.to_json())
    else:
        console().print(f"dead letter {letter_id} discarded")


@dlq_app.command("replay")
def replay_cmd(
    ids: Annotated[list[int] | None, typer.Argument(help="Dead letter ids.")] = None,
    dag: Annotated[str | None, typer.Option("--dag", help="Every replayable letter of a DAG.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every replayable letter.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Re-validate letters through their contract and deliver the passing ones, exactly once."""
    from ..services import dead_letters

    with user_errors():
        ids = [row_id(i, "dead letter") for i in ids or []]
        report = dead_letters.replay(load_settings(), ids, dag_id=dag, all_=all_)
    if as_json:
        emit_json(report.to_json())
    else:
        out = console()
        out.print(f"replayed {len(report.replayed)}, still invalid {len(report.still_invalid)}, "
                  f"skipped {len(report.skipped)}, failed {len(report.failed)}")
        for i, errors in report.still_invalid.items():
            out.print(f"  {i}: still invalid: {errors[0]['path']}: {errors[0]['message']}",
                      markup=False)
        for i, why in {**report.skipped, **report.failed}.items():
            out.print(f"  {i}: {why}", markup=False)
    if report.failed or report.still_invalid:
        raise typer.Exit(EXIT_FAILED)
