"""The scheduler service: keeps DAGs fresh, creates the runs that are due, claims queued runs
and drives them all with one executor.

Each pass is a few small steps (refresh, create, start, advance, collect); every state change
is committed by the run's driver before it is acted on. A run is claimed with a conditional
update (queued -> running, owner = this scheduler), so two schedulers on one database never
drive the same run. On start and on every housekeeping pass, runs whose owner is dead (see
store/owners.py) are adopted, again with a conditional update, and their in-flight tries
reaped (failed, and retried if their policy allows); runs of live owners are never touched.
A scheduler that finds it lost a run (it froze past the timeout) drops its driver unwritten.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime

from ..authoring.loader import LoadError
from ..authoring.parsed import ParsedDag
from ..collector import fewer_collections
from ..config import Settings
from ..schedules.timetable import due_runs
from ..store import dags as dag_store
from ..store import dialect
from ..store import owners as owner_store
from ..store import requests as request_store
from ..store import runs as run_store
from ..store import sla as sla_store
from ..store.db import open_engine
from ..store.faults import StoreFaults
from .bus import Bus, SchedulerTicked, SlaMissed
from .dagprocessor import ParseLoop, shared_processor
from .driver import RunDriver
from .driver_state import RunLost
from .event_runs import create_event_runs
from .executors.base import Executor, StreamEvent, Wakeup
from .runs_create import create_run, record_dag
from .states import RunState
from .wakeup import WakeListener

log = logging.getLogger("legato.scheduler")
SCHEDULED_TYPES = ("scheduled",)
HOUSEKEEPING_S = 0.2


class Scheduler:
    def __init__(self, settings: Settings, executor: Executor, *, bus: Bus | None = None,
                 poll_s: float = 1.0, only_runs: set[str] | None = None) -> None:
        """`only_runs`: drive these runs and nothing else — no schedules, events or SLAs, no
        other queued or orphaned run (`legato backfill` drives its own runs this way)."""
        self.settings = settings
        self.engine = open_engine(settings.database_url)
        self.executor = executor
        self.bus = bus or Bus()
        self.poll_s = poll_s
        self.dags: dict[str, ParsedDag] = {}
        self.errors: list[LoadError] = []
        self.drivers: dict[str, RunDriver] = {}
        self.processor = shared_processor(settings.dags_folder, settings.dag_import_timeout_s)
        self.processor.log_errors = True      # its log is where an operator looks for them
        self._parse_loop: ParseLoop | None = None
        self._parsed_version = -1
        self._pending_events: list[SlaMissed] = []
        self._next_housekeeping = 0.0
        self.owner = owner_store.Owner(self.engine, "scheduler", settings.owner_timeout_s)
        self.only_runs = only_runs
        self.faults = StoreFaults(what="scheduler")
        self._wake: WakeListener | None = None

    # -- DAG files ---------------------------------------------------------------------
    def wake(self) -> None:
        """New work was committed elsewhere (engine/wakeup.py): look at the store now."""
        self._next_housekeeping = 0.0
        self.executor.post(Wakeup())

    def refresh_dags(self) -> bool:
        """Take the DAG processor's latest parse. DAG files are parsed in child processes, by
        a background thread after start (dagprocessor.py): this loop never imports one, and
        a file that hangs or exits costs it nothing. A DAG new to the store starts paused
        unless it says otherwise (runs_create.record_dag)."""
        if self.processor.version == self._parsed_version:
            return False
        self._parsed_version = self.processor.version
        result = self.processor.result()
        self.dags = {d.dag_id: d for d in result.dags}
        self.errors = result.errors
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            for dag in self.dags.values():
                record_dag(conn, dag, now)
        return True

    # -- passes ------------------------------------------------------------------------
    def create_due_runs(self, now: datetime) -> int:
        created = 0
        with self.engine.connect() as conn:
            paused = dag_store.paused_ids(conn)
            cursors = {d: run_store.last_logical_date(conn, d, SCHEDULED_TYPES)
                       for d in self.dags if d not in paused}
        for dag_id, last in cursors.items():
            dag = self.dags[dag_id]
            if dag.schedule is None or dag.start_date is None:
                continue
            tz = getattr(dag.start_date.tzinfo, "key", "UTC")   # a ZoneInfo start_date sets it
            due = due_runs(dag.schedule, start_date=dag.start_date, end_date=dag.end_date,
                           catchup=dag.catchup, last_logical_date=last, now=now, tz=tz)
            if not due:
                continue
            with self.engine.connect() as conn:     # a backfill or trigger had these dates
                taken = run_store.existing_logical_dates(conn, dag_id,
                                                         [d.logical_date for d in due])
            for one in due:
                if one.logical_date in taken:
                    continue
                create_run(self.engine, dag, one.logical_date, run_type="scheduled",
                           interval=(one.data_interval_start, one.data_interval_end))
                created += 1
        return created

    def _startable(self) -> list[run_store.RunRow]:
        """Queued runs this scheduler may start: of known DAGs, not paused (a backfill's own
        runs start even so: it was asked for them)."""
        with self.engine.connect() as conn:
            paused = set() if self.only_runs is not None else dag_store.paused_ids(conn)
            queued = run_store.runs_in_state(conn, RunState.QUEUED.value)
        return [r for r in queued if r.dag_id in self.dags and r.dag_id not in paused
                and (self.only_runs is None or r.run_id in self.only_runs)]

    def start_queued_runs(self, now: datetime) -> int:
        """Claim and drive queued runs; `max_active_runs` is counted in the store, so it holds
        however many schedulers share it."""
        started = 0
        for run in self._startable():
            dag = self.dags[run.dag_id]
            with self.engine.begin() as conn:
                if not run_store.claim_run(conn, run.run_id, now, self.owner.id,
                                           dag_id=run.dag_id, max_active=dag.max_active_runs):
                    continue              # another scheduler took it, or the DAG is at its limit
            self._drive(dag, run)
            started += 1
        return started

    # -- ownership -----------------------------------------------------------------------
    def _dead_owners(self) -> tuple[list[str | None], list[owner_store.OwnerRow],
                                    list[owner_store.OwnerRow]]:
        """Owners of running runs that are dead (or missing, or None), dead owners that own
        nothing (to forget), and the dead owners of running runs whose process no live owner
        shares (their sessions may be ended). Small queries (an index scan and the tiny owners
        table); the runs themselves are read only for owners that died."""
        timeout = self.settings.owner_timeout_s
        with self.engine.connect() as conn:
            counts = run_store.running_owners(conn)
            owners = owner_store.all_owners(conn)
            now = dialect.clock(conn)
        dead = {i for i, o in owners.items()
                if i != self.owner.id and owner_store.is_dead(o, now=now, timeout_s=timeout)}
        orphaned = [o for o in counts if o != self.owner.id and (o is None or o not in owners
                                                                 or o in dead)]
        live_processes = {(o.hostname, o.pid) for i, o in owners.items() if i not in dead}
        frozen = [owners[i] for i in dead if i in counts
                  and (owners[i].hostname, owners[i].pid) not in live_processes]
        return orphaned, [owners[i] for i in dead if i not in counts], frozen

    def adopt_running_runs(self) -> int:
        """Runs whose owner is dead: take each with a conditional update, drive it and reap
        the tries it had in flight. Runs of live owners are left alone. A dead owner's process
        may still be there, frozen inside a transaction that locks its runs' rows (a lock the
        take skips rather than waits for): its sessions are ended first."""
        orphaned, forgettable, frozen = self._dead_owners()
        for row in frozen:
            with self.engine.begin() as conn:
                if dialect.end_sessions_of(conn, row.hostname, row.pid):
                    log.warning("owner %s (pid %s on %s) judged dead: ended its database "
                                "sessions", row.id, row.pid, row.hostname)
        adopted = 0
        for dead in orphaned:
            with self.engine.connect() as conn:
                runs = run_store.running_runs_of(conn, dead)
            for run in runs:
                if self.only_runs is None or run.run_id in self.only_runs:
                    adopted += self._adopt(run, dead)
        for row in forgettable:
            with self.engine.begin() as conn:
                owner_store.delete_if_unchanged(conn, row)
        return adopted

    def _adopt(self, run: run_store.RunRow, dead: str | None) -> int:
        dag = self.dags.get(run.dag_id)
        if dag is None or run.run_id in self.drivers:
            return 0
        with self.engine.begin() as conn:
            if not run_store.take_run(conn, run.run_id, dead, self.owner.id):
                return 0                  # another scheduler took it, or its owner came back
        driver = self._drive(dag, run)    # loaded after the take committed
        log.warning("run %s: adopted from %s (its owner stopped)", run.run_id, dead or "no owner")
        if driver.reap_lost():
            log.warning("run %s: reaped tries lost when its owner stopped", run.run_id)
        return 1

    def keep_ownership(self) -> None:
        """Heartbeat when due; drop (unwritten) the drivers of runs this scheduler lost."""
        if not self.owner.registered:
            self.owner.register()
            return
        if not self.owner.beat_due():
            return
        if not self.owner.beat():         # judged dead while frozen: everything was adopted
            log.error("scheduler %s: judged dead by another scheduler; dropping its runs",
                      self.owner.id)
            self._drop(list(self.drivers))
            self.owner = owner_store.Owner(self.engine, "scheduler",
                                           self.settings.owner_timeout_s)
            self.owner.register()
            return
        with self.engine.connect() as conn:
            self._drop(run_store.not_owned(conn, list(self.drivers), self.owner.id))

    def _drop(self, run_ids: list[str] | set[str]) -> None:
        for run_id in run_ids:
            driver = self.drivers.pop(run_id)
            log.warning("run %s: adopted by another scheduler; stopped driving it", run_id)
            for key in driver.in_flight:
                self.executor.cancel(run_id, key)

    def release(self) -> None:
        """Clean shutdown: forget this scheduler, so runs it still drives are adoptable now
        (a later tick registers it afresh, under a new id)."""
        if self._parse_loop is not None:
            self._parse_loop.stop()
            self._parse_loop = None
        if self._wake is not None:
            self._wake.stop()
            self._wake = None
        self.owner.release()
        self.owner = owner_store.Owner(self.engine, "scheduler", self.settings.owner_timeout_s)

    def check_slas(self, now: datetime) -> int:
        """Record (once) and publish every run not finished by data interval end + sla."""
        missed = 0
        for dag in self.dags.values():
            if dag.sla is None:
                continue
            with self.engine.begin() as conn:
                for row in sla_store.candidates(conn, dag.dag_id, now - dag.sla):
                    deadline = row.data_interval_end + dag.sla
                    if row.end_date is not None and row.end_date <= deadline:
                        continue
                    sla_store.record(conn, row.run_id, dag.dag_id, deadline, now)
                    missed += 1
                    event = SlaMissed(dag.dag_id, row.run_id, deadline, now)
                    self.bus.publish_in_tx(conn, [event])      # commits with the record
                    self._pending_events.append(event)
        for event in self._pending_events:              # published after the commit
            self.bus.publish(event)
        self._pending_events.clear()
        return missed

    def _drive(self, dag: ParsedDag, run: run_store.RunRow) -> RunDriver:
        driver = RunDriver(spec=dag.spec(), run=run, engine=self.engine, executor=self.executor,
                           bus=self.bus, home=self.settings.home,
                           database_url=self.settings.database_url, owner=self.owner.id)
        driver.load()
        self.drivers[run.run_id] = driver
        return driver

    def apply_requests(self, now: datetime) -> int:
        """Operators' requests (clear, mark, cancel) for the runs this scheduler drives: each
        driver applies its own, under its fence (store/requests.py). One query per pass."""
        if not self.drivers:
            return 0
        with self.engine.connect() as conn:
            found = request_store.pending(conn, list(self.drivers))
        by_run: dict[str, list[request_store.RequestRow]] = {}
        for req in found:
            by_run.setdefault(req.run_id, []).append(req)
        for run_id, reqs in by_run.items():
            driver = self.drivers[run_id]
            try:
                if driver.take_requests(reqs, now) is not None:
                    del self.drivers[run_id]                 # a cancel ended it
                    self._next_housekeeping = 0.0
            except RunLost as exc:
                log.warning("%s", exc)
                self._drop([run_id])
        return len(found)

    def advance_runs(self, now: datetime) -> None:
        for run_id, driver in list(self.drivers.items()):
            try:
                outcome = driver.advance(now)
            except RunLost as exc:
                log.warning("%s", exc)
                self._drop([run_id])
                continue
            if outcome is not None:
                del self.drivers[run_id]
                self._next_housekeeping = 0.0      # a slot is free: start the next run now

    def collect(self, now: datetime) -> None:
        waits = [self.poll_s] + [d.wait_s(now) for d in self.drivers.values()]
        by_run: dict[str, list[StreamEvent]] = {}
        for event in self.executor.events(max(0.0, min(waits))):
            by_run.setdefault(event.run_id, []).append(event)
        for run_id, driver in self.drivers.items():
            driver.apply(by_run.get(run_id, []))

    # -- the loop ------------------------------------------------------------------------
    def tick(self) -> None:
        """One pass. The store-wide passes (files, due runs, queued runs, SLAs) run at most
        every HOUSEKEEPING_S; driving active runs happens on every pass, so a hop from one
        task to the next never waits for a scan of the DAG folder."""
        now = datetime.now(UTC)
        mono = time.monotonic()
        if mono >= self._next_housekeeping:
            self._next_housekeeping = mono + HOUSEKEEPING_S
            self.keep_ownership()
            self.refresh_dags()
            self.adopt_running_runs()
            if self.only_runs is None:
                self.create_due_runs(now)
                create_event_runs(self.engine, self.dags, now)  # events and dataset updates
            self.start_queued_runs(now)
            self.apply_requests(now)
            if self.only_runs is None:
                self.check_slas(now)
        self.advance_runs(now)
        self.collect(now)
        if self.bus.wants(SchedulerTicked):
            self.bus.publish(SchedulerTicked(time.monotonic() - mono, len(self.drivers),
                                             datetime.now(UTC)))

    def start(self) -> None:
        """Parse the DAG folder once (in children, bounded by the import timeout), start the
        background parse loop, and adopt what dead owners left."""
        self._next_housekeeping = 0.0
        self.keep_ownership()
        self.processor.refresh()
        if self._parse_loop is None:
            self._parse_loop = ParseLoop(self.processor).start()
        if self._wake is None:
            self._wake = WakeListener(self.settings.database_url, self.settings.home,
                                      self.wake).start()
        self.refresh_dags()
        self.adopt_running_runs()

    def serve(self, stop: threading.Event) -> None:
        """Tick until `stop` is set, then drain: no new try starts, outcomes of tries in
        flight are committed as they arrive for up to LEGATO_STOP_GRACE_S, and what is still
        in flight is left to the next scheduler (this one releases its runs). A transient
        store fault (a dropped connection, a full disk) pauses the loop; it never ends it."""
        def stop_watch() -> None:                          # a stop ends the wait now
            stop.wait()
            self.wake()

        threading.Thread(target=stop_watch, daemon=True, name="legato-stop-watch").start()
        try:
            with fewer_collections():
                self.faults.guard(self.start, stop)
                while not stop.is_set():
                    self.faults.guard(self.tick, stop)
                self.faults.guard(lambda: self.drain(self.settings.stop_grace_s), None)
        finally:
            self.release()

    def drain(self, grace_s: float) -> int:
        """Commit the outcomes of the tries in flight for up to `grace_s`; start nothing new.
        Returns how many tries were still in flight at the end (left to adoption)."""
        flying = sum(len(d.in_flight) for d in self.drivers.values())
        if flying:
            log.warning("stopping: waiting up to %gs for %d tries in flight", grace_s, flying)
        deadline = time.monotonic() + grace_s
        while flying and time.monotonic() < deadline:
            by_run: dict[str, list[StreamEvent]] = {}
            for event in self.executor.events(min(0.2, max(0.0, deadline - time.monotonic()))):
                by_run.setdefault(event.run_id, []).append(event)
            for run_id, driver in list(self.drivers.items()):
                driver.apply(by_run.get(run_id, []))
                try:
                    driver.commit()
                except RunLost:
                    self.drivers.pop(run_id)
            flying = sum(len(d.in_flight) for d in self.drivers.values())
        if flying:
            log.warning("stopped with %d tries in flight: the next scheduler adopts their runs "
                        "and retries them", flying)
        return flying

    def run_until_idle(self, timeout_s: float = 60.0,
                       stop: threading.Event | None = None) -> None:
        """Tick until nothing is queued or running (tests, `legato backfill`). Once `stop` is
        set, the runs this scheduler drives and (with `only_runs`) its queued runs are
        cancelled, and it returns."""
        try:
            self.start()
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline:
                if stop is not None and stop.is_set():
                    self.cancel_runs("the process driving it was interrupted")
                    return
                self.tick()
                if not self.drivers and not self._startable():
                    return
            raise TimeoutError(f"runs still active after {timeout_s}s: {sorted(self.drivers)}")
        finally:
            self.release()

    def cancel_runs(self, reason: str) -> list[str]:
        """Cancel every run this scheduler drives and, when it drives only some runs (a
        backfill), those of them still queued. Returns the run ids cancelled."""
        now = datetime.now(UTC)
        done = []
        for run_id, driver in list(self.drivers.items()):
            try:
                driver.cancel(now, reason)
                done.append(run_id)
            except RunLost:
                pass
            del self.drivers[run_id]
        if self.only_runs:
            with self.engine.begin() as conn:
                done += run_store.cancel_queued(conn, sorted(self.only_runs), now)
        return done

