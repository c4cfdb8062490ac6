"""The queue as workers use it: claim, renew, finish, fail and reconcile, all compare-and-swap.

Every change to a request is a conditional write of the version that was read, so with any
number of workers on one queue (local folder or Hub dataset) a request is claimed by exactly
one of them, and a worker whose lease was taken back can no longer overwrite the request.
A lease is the RUNNING status plus `worker` and a `heartbeat` renewed while the evaluation
runs; reconcile returns requests whose heartbeat is older than the lease to PENDING, or
fails them as "worker lost" after the last attempt.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson

from leaderboard.domain import EvalRequest, Status, WeightType
from leaderboard.domain.fields import preview
from leaderboard.domain.names import repo_id_problem, results_file_path
from leaderboard.errors import ConflictError, MissingFileError, ParseError, StoreError
from leaderboard.stores import FileWrite, Store, StoredFile

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Claimed:
    """A request this worker holds: the record, where its file is and the version it wrote
    (for the next CAS). The file is always written where it was found: a name derived from
    the file's contents could point anywhere."""

    request: EvalRequest
    version: str
    path: str


class LeaseLost(Exception):
    """The request changed under this worker (reconciled by another, or edited): stop."""


class Queue:
    def __init__(self, store: Store, *, worker: str, lease_seconds: int, clock: Clock = utc_now):
        self.store = store
        self.worker = worker
        self.lease = timedelta(seconds=lease_seconds)
        self.clock = clock

    # -- reading -----------------------------------------------------------------------------

    def requests(self) -> list[tuple[EvalRequest, StoredFile]]:
        """Every readable request with its version; unreadable files are skipped (logged)."""
        found = []
        for stored in self.store.list_files():
            try:
                data, version = self.store.read_versioned(stored.path)
                request = EvalRequest.from_json(orjson.loads(data), path=stored.path)
            except MissingFileError:
                continue
            except (orjson.JSONDecodeError, ParseError) as exc:
                log.warning("Ignoring unreadable request %s: %s", stored.path, exc)
                continue
            found.append((request, StoredFile(stored.path, version)))
        return found

    def pending(self) -> list[tuple[EvalRequest, StoredFile]]:
        """PENDING requests, oldest submission first; ties broken by file name."""
        waiting = [(r, f) for r, f in self.requests() if r.status is Status.PENDING]
        far_future = datetime.max.replace(tzinfo=UTC)
        return sorted(
            waiting, key=lambda item: (item[0].submitted_time or far_future, item[1].path)
        )

    # -- changing ------------------------------------------------------------------------------

    def _swap(self, request: EvalRequest, version: str, message: str, path: str) -> Claimed:
        written = self.store.write(path, _dumps(request), expected_version=version, message=message)
        return Claimed(request, written.version, path)

    def swap_many(
        self, changes: Sequence[tuple[Claimed | StoredFile, EvalRequest]], message: str
    ) -> tuple[dict[str, Claimed], list[str]]:
        """Write several requests, each guarded by the version held, in one store write (one
        commit on the Hub, where commits are metered per hour). Returns the new claims by
        path, and the paths that changed meanwhile (taken back, or claimed by another), which
        are left as they are; the others are written all the same."""
        pending = {held.path: (held.version, request) for held, request in changes}
        lost: list[str] = []
        while pending:
            writes = [
                FileWrite(path, _dumps(request), expected_version=version)
                for path, (version, request) in pending.items()
            ]
            try:
                written = self.store.write_many(writes, message=message)
            except (ConflictError, MissingFileError) as exc:
                moved = set(getattr(exc, "paths", ())) & set(pending)
                if not moved:  # the store could not say which: one write each tells
                    return self._swap_each(pending, message, lost)
                lost += sorted(moved)
                for path in moved:
                    del pending[path]
                continue
            return {
                path: Claimed(request, stored.version, path)
                for (path, (_, request)), stored in zip(pending.items(), written, strict=True)
            }, lost
        return {}, lost

    def _swap_each(
        self, pending: dict[str, tuple[str, EvalRequest]], message: str, lost: list[str]
    ) -> tuple[dict[str, Claimed], list[str]]:
        written: dict[str, Claimed] = {}
        for path, (version, request) in pending.items():
            try:
                written[path] = self._swap(request, version, message, path)
            except (ConflictError, MissingFileError):
                lost.append(path)
        return written, lost

    def claim_many(
        self, candidates: Sequence[tuple[EvalRequest, StoredFile]], *, suite: str
    ) -> list[Claimed]:
        """Claim these PENDING requests in one write; those another worker claimed first are
        left out (their version moved)."""
        now = self.clock()
        changes = [
            (stored, claimed_by(request, self.worker, now, suite, batch_index=index))
            for index, (request, stored) in enumerate(candidates)
        ]
        try:
            won, lost = self.swap_many(changes, f"Claim {len(changes)} request(s)")
        except StoreError as exc:
            log.warning("Could not claim %d request(s): %s", len(changes), exc)
            return []
        for path in lost:
            log.info("%s was claimed by another worker", path)
        for claim in won.values():
            log.info("Claimed %s (attempt %d)", claim.request.model, claim.request.attempts)
        return list(won.values())

    def claim_next(self, *, suite: str) -> Claimed | None:
        """Claim the oldest PENDING request; None when there is none. A request another
        worker claimed first is skipped (its version moved), and the next one is tried; so is
        one that cannot be claimed (it is FAILED with the reason where it can be written)."""
        for request, stored in self.pending():
            problem = unclaimable(request)
            if problem:
                self.refuse(request, stored, problem)
                continue
            claims = self.claim_many([(request, stored)], suite=suite)
            if claims:
                return claims[0]
        return None

    def refuse(self, request: EvalRequest, stored: StoredFile, reason: str) -> None:
        """FAILED in place with the reason, without an attempt; skipped if even that fails."""
        failed = request.with_changes(status=Status.FAILED, failure_reason=reason, progress=None)
        try:
            self._swap(failed, stored.version, f"Failed {preview(request.model)}", stored.path)
        except (ConflictError, MissingFileError):
            return  # changed meanwhile: the next cycle reads it again
        except StoreError as exc:
            log.warning("Skipping %s (%s), which cannot be written: %s", stored.path, reason, exc)
            return
        log.warning("Failed %s without running it: %s", stored.path, reason)

    def hand_back(self, held: Claimed, request: EvalRequest) -> Claimed:
        """Replace a held request (a stopping worker returns it to PENDING)."""
        try:
            return self._swap(request, held.version, f"Hand back {request.model}", held.path)
        except (ConflictError, MissingFileError):
            raise LeaseLost(f"{held.path} was taken back already") from None

    def renew(self, held: Claimed, **changes) -> Claimed:
        """Renew the lease (and record progress); LeaseLost if the request was taken back."""
        renewed = held.request.with_changes(heartbeat=self.clock(), **changes)
        try:
            return self._swap(renewed, held.version, f"Heartbeat {held.request.model}", held.path)
        except (ConflictError, MissingFileError):
            raise LeaseLost(f"{held.path} was taken back from {self.worker}") from None

    def finish(self, held: Claimed, *, results_path: str, log_path: str) -> Claimed:
        done = finished(held.request, results_path=results_path, log_path=log_path)
        try:
            return self._swap(done, held.version, f"Finished {held.request.model}", held.path)
        except (ConflictError, MissingFileError):
            raise LeaseLost(f"{held.path} was taken back before it finished") from None

    def fail(
        self, held: Claimed, *, reason: str, log_path: str = "", log_tail: str = ""
    ) -> Claimed:
        failed = failed_with(held.request, reason=reason, log_path=log_path, log_tail=log_tail)
        try:
            return self._swap(failed, held.version, f"Failed {held.request.model}", held.path)
        except (ConflictError, MissingFileError):
            raise LeaseLost(f"{held.path} was taken back before it failed") from None

    # -- reconcile ---------------------------------------------------------------------------

    def reconcile(
        self, *, max_attempts: int, published: Callable[[EvalRequest], str | None]
    ) -> list[EvalRequest]:
        """Take back RUNNING requests whose lease expired. One whose results were published
        before its worker died becomes FINISHED (`published` finds that file); the others go
        back to PENDING, or FAILED ("worker lost") after `max_attempts`. Returns the changes."""
        changed = []
        now = self.clock()
        for request, stored in self.requests():
            if request.status is not Status.RUNNING:
                continue
            if request.heartbeat is not None and now - request.heartbeat <= self.lease:
                continue
            try:
                update = self._reconciled(request, stored, max_attempts, published)
            except StoreError as exc:  # this request stays as it is; the others go on
                log.warning("Could not reconcile %s: %s", stored.path, exc)
                continue
            if update is not None:
                changed.append(update)
        return changed

    def _reconciled(
        self,
        request: EvalRequest,
        stored: StoredFile,
        max_attempts: int,
        published: Callable[[EvalRequest], str | None],
    ) -> EvalRequest | None:
        """Take back one expired lease; the update written, or None when another won."""
        results = published(request) if not unclaimable(request) else None
        update, message = taken_back(request, max_attempts=max_attempts, published=results)
        try:
            self._swap(update, stored.version, message, stored.path)
        except (ConflictError, MissingFileError):
            return None  # renewed or reconciled meanwhile: that answer stands
        log.warning("%s: %s", message, stored.path)
        return update


def claimed_by(
    request: EvalRequest, worker: str, now: datetime, suite: str, *, batch_index: int = 0
) -> EvalRequest:
    """The request as RUNNING under this worker's lease; `batch_index` tells apart the job
    ids of requests claimed together."""
    job = f"{worker}/{now.strftime('%Y%m%dT%H%M%S%f')}"
    return request.with_changes(
        status=Status.RUNNING,
        worker=worker,
        heartbeat=now,
        job_id=f"{job}-{batch_index}" if batch_index else job,
        job_start_time=now.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        attempts=request.attempts + 1,
        suite=suite,
        failure_reason="",
        log_tail="",
        progress=None,
    )


def finished(request: EvalRequest, *, results_path: str, log_path: str) -> EvalRequest:
    return request.with_changes(
        status=Status.FINISHED, results_path=results_path, log_path=log_path, progress=None
    )


def failed_with(
    request: EvalRequest, *, reason: str, log_path: str = "", log_tail: str = ""
) -> EvalRequest:
    return request.with_changes(
        status=Status.FAILED,
        failure_reason=reason,
        log_path=log_path,
        log_tail=log_tail,
        progress=None,
    )


def handed_back(request: EvalRequest) -> EvalRequest:
    """PENDING again, and the attempt does not count (a worker stopping on purpose)."""
    return request.with_changes(
        status=Status.PENDING, attempts=max(0, request.attempts - 1), progress=None
    )


def taken_back(
    request: EvalRequest,
    *,
    max_attempts: int,
    published: str | None = None,
    lost: str = "",
) -> tuple[EvalRequest, str]:
    """A lost evaluation's request and the commit message: FINISHED when its results were
    published before it was lost, else PENDING for another attempt, or FAILED ("worker
    lost") after `max_attempts`."""
    if published is not None:
        update = request.with_changes(status=Status.FINISHED, results_path=published, progress=None)
        return update, f"Finished {request.model} (published before its worker was lost)"
    if request.attempts >= max_attempts:
        reason = (
            f"worker lost: {lost} (attempt {request.attempts} of {max_attempts})"
            if lost
            else f"worker lost: {request.worker or 'a worker'} stopped renewing its lease "
            f"{request.attempts} times"
        )
        return failed_with(request, reason=reason), f"Failed {request.model} (worker lost)"
    update = request.with_changes(status=Status.PENDING, progress=None)
    return update, f"Requeue {request.model} (lease expired)"


def _dumps(request: EvalRequest) -> bytes:
    return orjson.dumps(request.to_json(), option=orjson.OPT_INDENT_2)


def unclaimable(request: EvalRequest) -> str:
    """Why no worker can take this request ("" when it can): its model and base model name
    paths in the results store and what is loaded, so they must be well-formed Hub ids."""
    problem = repo_id_problem(request.model)
    if problem:
        return f"The request names no valid model: {problem}"
    if request.weight_type is WeightType.ADAPTER and request.base_model:
        problem = repo_id_problem(request.base_model)
        if problem:
            return f"The request's base model is not valid: {problem}"
    return ""


def results_path_for(request: EvalRequest) -> str:
    """Where a claim's results go: derived from the claim, so publishing twice (a worker that
    dies between writing results and finishing the request) writes one file, not two."""
    started = _job_start(request)
    return results_file_path(request.model, started)


def _job_start(request: EvalRequest) -> datetime:
    raw = str(request.job_start_time or "")
    try:
        return datetime.strptime(raw, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError:
        return request.heartbeat or utc_now()
