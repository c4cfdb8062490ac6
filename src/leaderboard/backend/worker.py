"""The worker: reconcile -> claim -> run -> publish, with as many evaluations in flight as
its executor has free slots. Talks to the stores and to its executor only.

Whatever happens, a claimed request ends FINISHED or FAILED with a reason, or goes back to
PENDING: a failure of the model or the harness is the request's FAILED; a lost lease leaves
it to whoever took it back; a stop (shutdown) hands every running request back at once; an
evaluation whose machine went away (a Ray node) is retried under the lease rules; and if this
process is killed outright, reconcile on any worker takes its requests back when their leases
expire.

The queue may be a Hub dataset, where commits are metered per hour: the worker claims what
it can start in one commit, renews every lease it holds in one commit per renewal period,
and writes the outcomes of the evaluations that ended together in one commit, so its commits
per hour hardly grow with the evaluations in flight (README, "Sizing").
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from leaderboard.backend.executors import (
    Capacity,
    Execution,
    Executor,
    Unavailable,
    make_executor,
)
from leaderboard.backend.leases import (
    Claimed,
    Queue,
    failed_with,
    finished,
    handed_back,
    results_path_for,
    taken_back,
    unclaimable,
)
from leaderboard.backend.publish import log_path_for, publish_log, publish_results
from leaderboard.backend.resources import DoesNotFit, Layout, layout_for
from leaderboard.backend.runner import RunOutcome, log_tail, read_progress
from leaderboard.backend.spec import EvalSpec, UnsupportedRequest, build_spec, is_commit
from leaderboard.config import Settings
from leaderboard.domain import EvalRequest, WeightType
from leaderboard.domain.fields import preview
from leaderboard.errors import MissingFileError, StoreError
from leaderboard.local_models import LocalModels
from leaderboard.stores import Store
from leaderboard.suites import Suite, get_suite

log = logging.getLogger(__name__)

FIRST_REPORT_SECONDS = 2.0
EMPTY_RETRIES = 10  # polls with nothing in flight before a waiting request ends the cycle


class Outcome(StrEnum):
    FINISHED = "finished"
    FAILED = "failed"  # the request failed (its reason is in the request)
    LOST = "lost"  # the lease was taken back, or the evaluation's machine went away
    STOPPED = "stopped"  # handed back on shutdown


@dataclass(frozen=True)
class CycleResult:
    """How one evaluation ended, as the worker reports it."""

    outcome: Outcome
    model: str = ""
    reason: str = ""


@dataclass
class InFlight:
    """An evaluation this worker runs, and the claim it holds for it."""

    held: Claimed  # as last written: what the next compare-and-swap must name
    execution: Execution
    spec: EvalSpec
    job_dir: Path
    started: float  # time.monotonic()
    reported: bool = False  # its progress was written once


@dataclass(frozen=True)
class Settled:
    """An ended evaluation's request as it is to be written, and what to report then."""

    held: Claimed
    update: EvalRequest
    result: CycleResult
    job_dir: Path | None = None  # removed once the update is written


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Worker:
    poll_seconds = 0.5

    def __init__(
        self,
        queue_store: Store,
        results_store: Store,
        settings: Settings,
        *,
        suite: Suite | None = None,
        work_dir: Path | None = None,
        executor: Executor | None = None,
    ):
        self.settings = settings
        self.suite = suite or get_suite(settings.suite)
        self.worker_id = settings.worker_id or default_worker_id()
        self.queue = Queue(queue_store, worker=self.worker_id, lease_seconds=settings.lease_seconds)
        self.results = results_store
        self.local = LocalModels(settings.local_models) if settings.local_models else None
        self.work_dir = work_dir or Path(settings.cache_dir) / "worker"
        self.executor = executor or make_executor(settings)
        self.in_flight: dict[str, InFlight] = {}  # by request path
        self.renew_seconds = max(1.0, settings.lease_seconds / 3)
        self.stop_event = threading.Event()
        self._cycle_lock = threading.Lock()

    def stop(self) -> None:
        """Ask a running cycle to stop: its evaluations are killed and handed back."""
        self.stop_event.set()

    def close(self) -> None:
        self.executor.close()

    def run_cycle(
        self,
        *,
        keep_claiming: bool = False,
        on_result: Callable[[CycleResult], None] | None = None,
    ) -> list[CycleResult]:
        """Claim what the executor has room for and run it until every evaluation ended;
        with `keep_claiming`, slots that free up are filled again (a busy queue runs back to
        back). Each evaluation's result is reported to `on_result` as it lands; all of them
        are returned (none: the queue had nothing to do). Never two cycles at once in one
        worker (a second call waits for the first)."""
        with self._cycle_lock:
            results: list[CycleResult] = []

            def report(result: CycleResult) -> None:
                results.append(result)
                if on_result is not None:
                    on_result(result)

            self._reconcile()
            if not self.stop_event.is_set():
                waiting = self._fill(report)
                self._supervise(report, keep_claiming=keep_claiming, waiting=waiting)
            return results

    # -- claiming ----------------------------------------------------------------------------

    def _reconcile(self) -> None:
        self.queue.reconcile(max_attempts=self.settings.max_attempts, published=self._published)

    def _fill(self, report: Callable[[CycleResult], None]) -> bool:
        """Claim, in one write, the oldest PENDING requests that fit the free slots, in
        order (the first that does not fit waits for room: no model jumps the queue), and
        start them. One no slot can ever hold is FAILED with the figures. True when a
        request was left waiting for room."""
        capacity = room = self.executor.capacity()
        if room.full and self.in_flight:
            return True  # room comes when one of them ends, which fills again
        waiting = False
        plan: dict[str, Layout] = {}
        candidates = []
        for request, stored in self.queue.pending():
            try:
                problem = unclaimable(request)
                layout = None if problem else self._layout(request, capacity)
            except DoesNotFit as exc:
                problem = str(exc)
            if problem:
                self.queue.refuse(request, stored, problem)
                continue
            if not room.fits(layout):
                waiting = True
                break
            room = room.without(layout)
            plan[stored.path] = layout
            candidates.append((request, stored))
        for held in self.queue.claim_many(candidates, suite=self.suite.name):
            self._start(held, plan[held.path], report)
        return waiting

    def _layout(self, request: EvalRequest, capacity: Capacity) -> Layout:
        return layout_for(
            request.params,
            request.precision,
            gpu_memory_gb=capacity.gpu_memory_gb,
            max_gpus=capacity.gpus,
            backend=self.settings.lm_eval_backend,
            data_parallel=self.settings.data_parallel,
        )

    def _start(self, held: Claimed, layout: Layout, report: Callable[[CycleResult], None]) -> None:
        request = held.request
        job_dir = self.work_dir.resolve() / results_path_for(request).replace("/", "__")
        log_file = job_dir / "eval.log"
        try:
            spec = self._spec(request, job_dir / "output", layout)
            execution = self.executor.start(spec, layout, log_path=log_file)
        except UnsupportedRequest as exc:
            self._write_outcomes([self._failed(held, str(exc), log_file)], report)
            return
        except Unavailable:
            self._write_outcomes([self._returned(held, job_dir)], report)
            return
        except Exception as exc:  # a bug, or the executor broke: this request fails
            log.exception("Starting %s failed", held.path)
            self._write_outcomes([self._failed(held, worker_failed(exc), log_file)], report)
            return
        self.in_flight[held.path] = InFlight(held, execution, spec, job_dir, time.monotonic())
        log.info("Evaluating %s (%s) on %s", request.model, self.suite.name, describe(layout))

    # -- running -----------------------------------------------------------------------------

    def _supervise(
        self, report: Callable[[CycleResult], None], *, keep_claiming: bool, waiting: bool
    ) -> None:
        """Poll the evaluations until none is left: publish each as it ends, renew every
        lease in one write per period, and (with `keep_claiming`) fill freed slots. A slot
        freed on a cluster shows as free a moment later (Ray reports its resources about
        once a second), so with nothing in flight and a request waiting for room, the fill
        is tried again a few times before the cycle ends."""
        now = time.monotonic()
        next_renewal, next_look = now + self.renew_seconds, now + self.settings.worker_interval
        retries_left = EMPTY_RETRIES
        while self.in_flight or (keep_claiming and waiting and retries_left > 0):
            if self.stop_event.wait(self.poll_seconds):
                self._hand_back_all(report)
                return
            ended = self._ended()
            if ended:
                self._write_outcomes([self._settled_or_failed(*pair) for pair in ended], report)
            now = time.monotonic()
            if self.in_flight and (now >= next_renewal or self._first_report_due(now)):
                self._renew_all(report)
                next_renewal = now + self.renew_seconds
            retry = waiting and not self.in_flight
            if keep_claiming and (ended or retry or now >= next_look):
                retries_left = retries_left - 1 if retry and not ended else EMPTY_RETRIES
                next_look = now + self.settings.worker_interval
                try:
                    self._reconcile()
                    waiting = self._fill(report)
                except StoreError as exc:  # the queue is unreachable: keep running what runs
                    log.warning("Could not look at the queue; trying again later: %s", exc)

    def _first_report_due(self, now: float) -> bool:
        """A new evaluation's first progress reaches the queue view a few seconds after it
        started, not a whole renewal period later (one write for all that started)."""
        return any(
            not flight.reported and now - flight.started >= FIRST_REPORT_SECONDS
            for flight in self.in_flight.values()
        )

    def _ended(self) -> list[tuple[InFlight, RunOutcome]]:
        ended = []
        timeout = self.settings.eval_timeout
        for path, flight in list(self.in_flight.items()):
            try:
                outcome = flight.execution.poll()
            except Exception as exc:  # the executor lost track of it: retried as lost
                log.exception("Polling the evaluation of %s failed", flight.held.request.model)
                flight.execution.cancel()
                reason = f"the {self.executor.name} executor lost it: {one_line(exc)}"
                outcome = RunOutcome(False, reason, log_tail(flight.execution.log_path), lost=True)
            if outcome is None and time.monotonic() - flight.started > timeout:
                flight.execution.cancel()
                tail = log_tail(flight.execution.log_path)
                outcome = RunOutcome(False, f"timed out after {timeout:.0f} s", tail)
            if outcome is not None:
                del self.in_flight[path]
                ended.append((flight, outcome))
        return ended

    def _renew_all(self, report: Callable[[CycleResult], None]) -> None:
        """Every lease this worker holds, renewed in one write with each one's progress. A
        store that keeps refusing (the Hub's hourly commit quota) is tried again next
        period: the lease (`LEADERBOARD_LEASE_SECONDS`, three periods) rides that out."""
        now = self.queue.clock()
        changes = []
        for flight in self.in_flight.values():
            progress = read_progress(flight.execution.log_path, time.monotonic() - flight.started)
            changes.append(
                (flight.held, flight.held.request.with_changes(heartbeat=now, progress=progress))
            )
        try:
            renewed, lost = self.queue.swap_many(changes, f"Heartbeat {len(changes)} evaluation(s)")
        except StoreError as exc:
            log.warning(
                "Could not renew %d lease(s); trying again in %.0f s: %s",
                len(changes),
                self.renew_seconds,
                exc,
            )
            return
        for path, claim in renewed.items():
            self.in_flight[path].held = claim
            self.in_flight[path].reported = True
        for path in lost:
            flight = self.in_flight.pop(path)
            flight.execution.cancel()
            log.warning("Lost the lease of %s: it was taken back", flight.held.request.model)
            report(CycleResult(Outcome.LOST, flight.held.request.model, "the lease was taken back"))

    def _hand_back_all(self, report: Callable[[CycleResult], None]) -> None:
        """On shutdown: every evaluation killed, every request PENDING again at once (the
        attempt does not count), in one write."""
        flights = list(self.in_flight.values())
        self.in_flight.clear()
        for flight in flights:
            flight.execution.cancel()
        self._write_outcomes([self._returned(f.held, f.job_dir) for f in flights], report)

    # -- outcomes ------------------------------------------------------------------------------

    def _settled_or_failed(self, flight: InFlight, outcome: RunOutcome) -> Settled:
        """A bug while publishing fails that request, not the worker."""
        try:
            return self._settled(flight, outcome)
        except Exception as exc:
            log.exception("Publishing %s failed unexpectedly", flight.held.path)
            return self._failed(flight.held, worker_failed(exc), flight.execution.log_path)

    def _settled(self, flight: InFlight, outcome: RunOutcome) -> Settled:
        held, log_file = flight.held, flight.execution.log_path
        request = held.request
        if outcome.lost:
            update, _ = taken_back(
                request, max_attempts=self.settings.max_attempts, lost=outcome.reason
            )
            log.warning("Lost the evaluation of %s: %s", request.model, outcome.reason)
            return Settled(
                held,
                update,
                CycleResult(Outcome.LOST, request.model, outcome.reason),
                flight.job_dir,
            )
        if not outcome.ok:
            return self._failed(held, outcome.reason, log_file, outcome.log_tail)
        changed = self._changed_during_run(request, flight.spec)
        if changed:
            return self._failed(held, changed, log_file)
        try:
            results_path = publish_results(
                flight.execution.output_dir,
                request,
                self.results,
                model_sha=flight.spec.commit,
                log_file=log_file,
            )
        except (OSError, ValueError, StoreError) as exc:
            return self._failed(held, f"publishing the results failed: {one_line(exc)}", log_file)
        log.info("Finished %s in %.0f s: %s", request.model, outcome.seconds, results_path)
        update = finished(request, results_path=results_path, log_path=log_path_for(request))
        return Settled(held, update, CycleResult(Outcome.FINISHED, request.model), flight.job_dir)

    def _failed(self, held: Claimed, reason: str, log_file: Path | None, tail: str = "") -> Settled:
        log_path = ""
        if log_file is not None and log_file.exists():
            try:
                log_path = publish_log(log_file, held.request, self.results)
            except (OSError, ValueError, StoreError) as exc:  # the reason still reaches the request
                log.warning("Could not publish the log of %s: %s", held.path, exc)
        log.warning("Failed %s: %s", held.request.model, reason)
        update = failed_with(held.request, reason=reason, log_path=log_path, log_tail=tail)
        job_dir = log_file.parent if log_file is not None else None
        return Settled(
            held, update, CycleResult(Outcome.FAILED, held.request.model, reason), job_dir
        )

    def _returned(self, held: Claimed, job_dir: Path) -> Settled:
        log.info("Handing %s back to the queue", held.request.model)
        result = CycleResult(Outcome.STOPPED, held.request.model)
        return Settled(held, handed_back(held.request), result, job_dir)

    def _write_outcomes(
        self, settled: list[Settled], report: Callable[[CycleResult], None]
    ) -> None:
        """The requests of evaluations that ended together, written in one store write. One
        taken back meanwhile is someone else's now (LOST); a store that refuses the write
        leaves them RUNNING for reconcile, which finds the published results."""
        if not settled:
            return
        try:
            _, lost = self.queue.swap_many(
                [(s.held, s.update) for s in settled], f"Settle {len(settled)} evaluation(s)"
            )
        except StoreError as exc:
            log.error("Could not write the outcome of %d evaluation(s): %s", len(settled), exc)
            lost = [s.held.path for s in settled]
        for item in settled:
            if item.held.path in lost:
                reason = "the lease was taken back before its outcome was written"
                report(CycleResult(Outcome.LOST, item.held.request.model, reason))
            else:
                report(item.result)
            if item.job_dir is not None and item.result.outcome is not Outcome.STOPPED:
                shutil.rmtree(item.job_dir, ignore_errors=True)

    def _published(self, request: EvalRequest) -> str | None:
        """The results file a claim already published, if any (for reconcile)."""
        if not request.job_start_time:
            return None
        path = results_path_for(request)
        try:
            self.results.read(path)
        except MissingFileError:
            return None
        except StoreError as exc:  # unreadable there (a link, say): not published
            log.warning("Cannot read %s in the results store: %s", path, exc)
            return None
        return path

    def _spec(self, request: EvalRequest, output_dir: Path, layout: Layout) -> EvalSpec:
        pretrained, offline, commit = self._locate(request.model, revision=request.revision)
        base = None
        if request.weight_type is WeightType.ADAPTER and request.base_model:
            base, _, _ = self._locate(request.base_model, revision=None)
        return build_spec(
            request,
            self.suite,
            pretrained=pretrained,
            base=base,
            backend=self.settings.lm_eval_backend,
            device=self.settings.device,
            batch_size=self.settings.batch_size,
            output_dir=output_dir,
            processes=layout.processes,
            offline=offline,
            commit=commit,
            layout_args=layout.model_args,
            efficiency_seconds=self.settings.efficiency_seconds,
        )

    def _locate(self, model: str, *, revision: str | None) -> tuple[str, bool, str]:
        """(what lm-eval loads, whether that needs no network, the commit it is): a folder of
        LEADERBOARD_LOCAL_MODELS whose content is still the submitted commit, or the Hub id
        pinned at the submitted commit. Nothing else: transformers would load a folder named
        like the model from the working directory, so a request cannot name one."""
        folder = self.local.folder(model) if self.local else None
        if folder is not None:
            now = self.local.content_sha(folder)
            if revision is not None and now != revision:
                raise UnsupportedRequest(
                    f"The local model {model} changed since it was submitted (commit "
                    f"{preview(revision[:7])}, now {now[:7]}); submit it again."
                )
            return str(folder), True, now
        if revision is not None and not is_commit(revision):
            raise UnsupportedRequest(
                f"The revision {preview(revision)} is not a commit: a model is evaluated at the "
                "commit it was submitted at; submit it again (the Submit tab resolves branches "
                "and tags to their commit)."
            )
        return model, False, revision or ""

    def _changed_during_run(self, request: EvalRequest, spec: EvalSpec) -> str:
        """Why the results cannot be published as `spec.commit` ("" when they can): a local
        folder edited while it was evaluated holds other weights than the ones checked."""
        folder = self.local.folder(request.model) if self.local and spec.offline else None
        if folder is None or self.local.content_sha(folder) == spec.commit:
            return ""
        return f"The local model {request.model} changed while it was evaluated; submit it again."


def describe(layout: Layout) -> str:
    if not layout.gpus:
        return "the CPU"
    return f"{layout.gpus} GPU(s), {layout.parallelism.value}"


def worker_failed(exc: BaseException) -> str:
    return f"the worker failed: {one_line(exc)}"


def one_line(exc: BaseException, limit: int = 300) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split())}"[:limit]
