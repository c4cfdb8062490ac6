"""One worker cycle: reconcile -> claim -> run -> publish. Talks to the stores only.

Whatever happens, a claimed request ends FINISHED or FAILED with a reason, or goes back to
PENDING: a failure of the model or the harness is the request's FAILED; a lost lease leaves
it to whoever took it back; a stop (shutdown) hands it back at once; and if this process is
killed outright, reconcile on any worker takes it back when the lease expires.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import socket
import threading
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from leaderboard.backend.leases import Claimed, LeaseLost, Queue, results_path_for
from leaderboard.backend.publish import publish_log, publish_results
from leaderboard.backend.runner import RunOutcome, Stopped, gpu_count, run_evaluation
from leaderboard.backend.spec import EvalSpec, UnsupportedRequest, build_spec, is_commit
from leaderboard.config import Settings
from leaderboard.domain import EvalRequest, Status, WeightType
from leaderboard.domain.fields import preview
from leaderboard.errors import MissingFileError, StoreError
from leaderboard.local_models import LocalModels
from leaderboard.stores import Store
from leaderboard.suites import Suite, get_suite

log = logging.getLogger(__name__)


class Outcome(StrEnum):
    IDLE = "idle"  # nothing to do
    FINISHED = "finished"
    FAILED = "failed"  # the request failed (its reason is in the request)
    LOST = "lost"  # the lease was taken back; the request is someone else's now
    STOPPED = "stopped"  # handed back on shutdown


@dataclass(frozen=True)
class CycleResult:
    outcome: Outcome
    model: str = ""
    reason: str = ""


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Worker:
    def __init__(
        self,
        queue_store: Store,
        results_store: Store,
        settings: Settings,
        *,
        suite: Suite | None = None,
        work_dir: Path | None = None,
    ):
        self.settings = settings
        self.suite = suite or get_suite(settings.suite)
        self.worker_id = settings.worker_id or default_worker_id()
        self.queue = Queue(queue_store, worker=self.worker_id, lease_seconds=settings.lease_seconds)
        self.results = results_store
        self.local = LocalModels(settings.local_models) if settings.local_models else None
        self.work_dir = work_dir or Path(settings.cache_dir) / "worker"
        self.stop_event = threading.Event()
        self._cycle_lock = threading.Lock()

    def stop(self) -> None:
        """Ask a running cycle to stop: its evaluation is killed and the request handed back."""
        self.stop_event.set()

    def run_cycle(self) -> CycleResult:
        """One cycle; never two at once in one worker (a second call waits for the first)."""
        with self._cycle_lock:
            self.queue.reconcile(max_attempts=self.settings.max_attempts, published=self._published)
            if self.stop_event.is_set():
                return CycleResult(Outcome.STOPPED)
            held = self.queue.claim_next(suite=self.suite.name)
            if held is None:
                return CycleResult(Outcome.IDLE)
            held_now = [held]  # the claim as last renewed: what a final write must swap
            try:
                return self._evaluate(held_now)
            except LeaseLost as exc:
                log.warning("Lost the lease of %s: %s", held.request.model, exc)
                return CycleResult(Outcome.LOST, held.request.model, str(exc))
            except Exception as exc:  # a bug or a broken store: this request fails, not the worker
                log.exception("Evaluating %s failed unexpectedly", held.path)
                detail = " ".join(str(exc).split())[:300]  # one line, bounded
                reason = f"the worker failed: {type(exc).__name__}: {detail}"
                return self._fail(held_now[0], reason, None)

    # -- the steps --------------------------------------------------------------------------

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

    def _evaluate(self, held_now: list[Claimed]) -> CycleResult:
        held = held_now[0]
        request = held.request
        job_dir = self.work_dir.resolve() / results_path_for(request).replace("/", "__")
        log_file = job_dir / "eval.log"
        try:
            spec = self._spec(request, job_dir / "output")
        except UnsupportedRequest as exc:
            return self._fail(held, str(exc), log_file)

        def tick(progress) -> None:  # renew the lease; LeaseLost stops the evaluation
            held_now[0] = self.queue.renew(held_now[0], progress=progress)

        log.info("Evaluating %s (%s)", request.model, self.suite.name)
        try:
            outcome: RunOutcome = run_evaluation(
                spec,
                log_path=log_file,
                timeout=self.settings.eval_timeout,
                tick=tick,
                tick_seconds=max(1.0, min(30.0, self.settings.lease_seconds / 3)),
                stop=self.stop_event,
            )
        except Stopped:
            self._hand_back(held_now[0])
            return CycleResult(Outcome.STOPPED, request.model)
        held = held_now[0]
        if not outcome.ok:
            return self._fail(held, outcome.reason, log_file, outcome.log_tail)
        changed = self._changed_during_run(request, spec)
        if changed:
            return self._fail(held, changed, log_file)
        try:
            results_path = publish_results(
                Path(spec.output_dir), held.request, self.results, model_sha=spec.commit
            )
        except (OSError, ValueError) as exc:
            return self._fail(held, f"publishing the results failed: {exc}", log_file)
        log_path = publish_log(log_file, held.request, self.results)
        self.queue.finish(held, results_path=results_path, log_path=log_path)
        shutil.rmtree(job_dir, ignore_errors=True)
        log.info("Finished %s in %.0f s: %s", request.model, outcome.seconds, results_path)
        return CycleResult(Outcome.FINISHED, request.model)

    def _spec(self, request: EvalRequest, output_dir: Path) -> EvalSpec:
        pretrained, offline, commit = self._locate(request.model, revision=request.revision)
        base = None
        if request.weight_type is WeightType.ADAPTER and request.base_model:
            base, _, _ = self._locate(request.base_model, revision=None)
        processes = 1
        if self.settings.device != "cpu" and self.settings.lm_eval_backend == "hf":
            processes = max(1, gpu_count())
        return build_spec(
            request,
            self.suite,
            pretrained=pretrained,
            base=base,
            backend=self.settings.lm_eval_backend,
            device=self.settings.device,
            batch_size=self.settings.batch_size,
            output_dir=output_dir,
            processes=processes,
            offline=offline,
            commit=commit,
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

    def _fail(
        self, held: Claimed, reason: str, log_file: Path | None, log_tail: str = ""
    ) -> CycleResult:
        log_path = ""
        if log_file is not None and log_file.exists():
            try:
                log_path = publish_log(log_file, held.request, self.results)
            except (OSError, ValueError) as exc:  # the reason still reaches the request
                log.warning("Could not publish the log of %s: %s", held.path, exc)
        try:
            self.queue.fail(held, reason=reason, log_path=log_path, log_tail=log_tail)
        except LeaseLost as exc:
            log.warning("Lost the lease of %s: %s", held.request.model, exc)
            return CycleResult(Outcome.LOST, held.request.model, str(exc))
        except StoreError as exc:
            log.error("Could not mark %s FAILED (%s): %s", held.path, reason, exc)
        log.warning("Failed %s: %s", held.request.model, reason)
        return CycleResult(Outcome.FAILED, held.request.model, reason)

    def _hand_back(self, held: Claimed) -> None:
        """On shutdown: PENDING again at once, and this attempt does not count."""
        request = held.request.with_changes(
            status=Status.PENDING, attempts=max(0, held.request.attempts - 1), progress=None
        )
        with contextlib.suppress(LeaseLost):
            self.queue.hand_back(held, request)
        log.info("Handed %s back to the queue", held.request.model)
