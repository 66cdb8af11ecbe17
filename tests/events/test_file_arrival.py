"""FileArrival through the listener and the scheduler: one run per new file, never two for
the same file (polled again, or after a restart), a half-written file waits, fsspec URLs."""

from __future__ import annotations

import uuid
from pathlib import Path

from events_support import Polls, result_of, runs_of, write_dag

from legato.config import load_settings
from legato.engine.executors import make_executor
from legato.engine.scheduler import Scheduler


def test_each_new_file_starts_one_run_and_never_a_second(
        dags_folder: Path, tmp_path: Path, scheduler: Scheduler, polls: Polls) -> None:
    inbox = tmp_path / "incoming"
    inbox.mkdir()
    write_dag(dags_folder, "files", f"events.FileArrival({str(inbox / '*.csv')!r})")
    (inbox / "a.csv").write_text("1\n")
    (inbox / "b.csv").write_text("2\n")
    (inbox / "notes.txt").write_text("not matched")
    assert polls() == 0                      # first look: a file must be stable for two polls
    assert polls() == 2
    assert polls(3) == 0                     # seen again and again: no new event
    scheduler.run_until_idle(timeout_s=30)
    runs = runs_of("files")
    assert [r.run_type for r in runs] == ["event", "event"]
    assert all(r.state == "success" for r in runs)
    events = sorted((result_of(r.run_id) for r in runs), key=lambda e: e["path"])
    assert [e["path"] for e in events] == [str(inbox / "a.csv"), str(inbox / "b.csv")]
    assert events[0]["size"] == 2 and events[0]["trigger"] == "file"

    # a restart: a listener with no memory and a new scheduler still make no second run
    again = Polls(dags_folder)
    try:
        assert again(3) == 0
        (inbox / "c.csv").write_text("3\n")
        assert again(2) == 1
    finally:
        again.close()
    executor = make_executor("local")
    try:
        Scheduler(load_settings(), executor, poll_s=0.05).run_until_idle(timeout_s=30)
    finally:
        executor.shutdown()
    assert len(runs_of("files")) == 3


def test_a_file_still_growing_waits_until_it_is_stable(dags_folder: Path, tmp_path: Path,
                                                        polls: Polls) -> None:
    write_dag(dags_folder, "growing", f"events.FileArrival({str(tmp_path / 'in' / '**' / '*.csv')!r})")
    deep = tmp_path / "in" / "2024" / "01"
    deep.mkdir(parents=True)
    part = deep / "big.csv"
    part.write_text("x" * 10)
    assert polls() == 0
    part.write_text("x" * 20)                # still being written
    assert polls() == 0
    assert polls() == 1                      # unchanged since the last poll: taken (** recurses)


def test_an_fsspec_url_pattern_works_like_a_local_glob(dags_folder: Path, scheduler: Scheduler,
                                                       polls: Polls) -> None:
    import fsspec

    root = f"legato-{uuid.uuid4().hex[:8]}"
    fs = fsspec.filesystem("memory")
    fs.pipe(f"/{root}/in/one.json", b'{"n": 1}')
    write_dag(dags_folder, "remote", f"events.FileArrival('memory://{root}/in/*.json')")
    try:
        assert polls(2) == 1
        fs.pipe(f"/{root}/in/two.json", b'{"n": 2}')
        assert polls(3) == 1
        scheduler.run_until_idle(timeout_s=30)
    finally:
        fs.rm(f"/{root}", recursive=True)
    urls = sorted(result_of(r.run_id)["url"] for r in runs_of("remote"))
    assert urls == [f"memory:///{root}/in/one.json", f"memory:///{root}/in/two.json"]
