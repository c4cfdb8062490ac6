"""The queue as workers change it: claims, renewals, reconcile, order. Real LocalStore,
real threads; no evaluation runs here (tests/test_worker.py runs the harness)."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest

from leaderboard.backend.leases import LeaseLost, Queue, results_path_for
from leaderboard.domain import EvalRequest, ModelType, Precision, Status
from leaderboard.errors import ConflictError
from leaderboard.stores import LocalStore

T0 = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime = T0):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def request(model: str, submitted: datetime = T0, **fields) -> EvalRequest:
    return EvalRequest(
        model=model,
        precision=Precision.FLOAT16,
        status=Status.PENDING,
        revision="a" * 40,
        submitted_time=submitted,
        model_type=ModelType.CHAT,
        **fields,
    )


def put(store: LocalStore, *requests: EvalRequest) -> None:
    for item in requests:
        store.write(item.path, json.dumps(item.to_json()).encode())


def stored(store: LocalStore, item: EvalRequest) -> EvalRequest:
    return EvalRequest.from_json(json.loads(store.read(item.path)))


@pytest.fixture
def store(tmp_path) -> LocalStore:
    return LocalStore(tmp_path / "queue")


def queue(store, worker="w1", clock=None, lease=60) -> Queue:
    return Queue(store, worker=worker, lease_seconds=lease, clock=clock or Clock())


def test_claims_take_the_oldest_submission_first_and_ties_by_file_name(store):
    put(
        store,
        request("org/c", T0 - timedelta(hours=1)),
        request("org/b", T0 - timedelta(hours=2)),
        request("org/a", T0 - timedelta(hours=1)),
        request("org/z", None),  # no submission time: last
    )
    q = queue(store)
    order = [q.claim_next(suite="sample").request.model for _ in range(4)]
    assert order == ["org/b", "org/a", "org/c", "org/z"]
    assert q.claim_next(suite="sample") is None


def test_a_claim_records_the_lease(store):
    put(store, request("org/m"))
    held = queue(store, worker="gpu-1:7").claim_next(suite="sample")
    saved = stored(store, held.request)
    assert saved.status is Status.RUNNING
    assert (saved.worker, saved.heartbeat, saved.attempts, saved.suite) == (
        "gpu-1:7",
        T0,
        1,
        "sample",
    )
    assert saved.job_start_time == "2026-11-20T12:00:00.000000Z"
    assert str(saved.job_id).startswith("gpu-1:7/")


def test_racing_workers_claim_each_request_exactly_once(store):
    put(store, *(request(f"org/m{i}", T0 + timedelta(seconds=i)) for i in range(30)))
    claimed: dict[str, list[str]] = {}
    lock = threading.Lock()

    def work(name: str) -> None:
        q = queue(store, worker=name)
        while (held := q.claim_next(suite="sample")) is not None:
            with lock:
                claimed.setdefault(held.request.model, []).append(name)

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(claimed) == sorted(f"org/m{i}" for i in range(30))
    assert all(len(workers) == 1 for workers in claimed.values()), claimed
    for model, workers in claimed.items():
        saved = stored(store, request(model))
        assert (saved.status, saved.worker) == (Status.RUNNING, workers[0])


def test_renew_after_the_lease_was_taken_back_raises_lease_lost(store):
    put(store, request("org/m"))
    clock = Clock()
    mine = queue(store, worker="w1", clock=clock)
    held = mine.claim_next(suite="sample")
    held = mine.renew(held)  # fine while held
    clock.now = T0 + timedelta(minutes=5)  # past the 60 s lease
    other = queue(store, worker="w2", clock=clock)
    assert [r.status for r in other.reconcile(max_attempts=3, published=lambda r: None)] == [
        Status.PENDING
    ]
    with pytest.raises(LeaseLost):
        mine.renew(held)
    with pytest.raises(LeaseLost):
        mine.finish(held, results_path="x", log_path="y")
    assert stored(store, held.request).status is Status.PENDING


def test_reconcile_requeues_then_fails_as_worker_lost(store):
    put(store, request("org/m"))
    clock = Clock()
    for attempt in (1, 2):
        held = queue(store, worker=f"w{attempt}", clock=clock).claim_next(suite="sample")
        assert held.request.attempts == attempt
        clock.now += timedelta(minutes=2)
        changed = queue(store, clock=clock).reconcile(max_attempts=2, published=lambda r: None)
        assert len(changed) == 1
    final = stored(store, request("org/m"))
    assert final.status is Status.FAILED
    assert final.failure_reason == "worker lost: w2 stopped renewing its lease 2 times"


def test_reconcile_leaves_live_leases_alone(store):
    put(store, request("org/m"))
    clock = Clock()
    queue(store, clock=clock).claim_next(suite="sample")
    clock.now += timedelta(seconds=59)
    assert (
        queue(store, worker="w2", clock=clock).reconcile(max_attempts=3, published=lambda r: None)
        == []
    )
    assert stored(store, request("org/m")).status is Status.RUNNING


def test_reconcile_finishes_a_request_whose_results_were_published_before_its_worker_died(
    store,
):
    put(store, request("org/m"))
    clock = Clock()
    held = queue(store, clock=clock).claim_next(suite="sample")
    expected = results_path_for(held.request)
    clock.now += timedelta(minutes=2)
    queue(store, clock=clock).reconcile(
        max_attempts=3, published=lambda r: results_path_for(r) if r.model == "org/m" else None
    )
    saved = stored(store, held.request)
    assert (saved.status, saved.results_path) == (Status.FINISHED, expected)
    assert saved.attempts == 1  # not evaluated again


def test_the_results_path_follows_the_claim(store):
    put(store, request("org/m"))
    held = queue(store).claim_next(suite="sample")
    assert results_path_for(held.request) == "org/m/results_2026-11-20T12-00-00.000000.json"
    assert results_path_for(stored(store, held.request)) == results_path_for(held.request)


def test_fail_and_finish_record_their_fields(store):
    put(store, request("org/a"), request("org/b", T0 + timedelta(seconds=1)))
    q = queue(store)
    a = q.claim_next(suite="sample")
    q.fail(a, reason="OSError: broken weights", log_path="org/a/logs/x.log", log_tail="tail")
    b = q.claim_next(suite="sample")
    q.finish(b, results_path="org/b/results_x.json", log_path="org/b/logs/x.log")
    failed, finished = stored(store, a.request), stored(store, b.request)
    assert (failed.status, failed.failure_reason, failed.log_tail) == (
        Status.FAILED,
        "OSError: broken weights",
        "tail",
    )
    assert (finished.status, finished.results_path) == (Status.FINISHED, "org/b/results_x.json")


class VagueStore(LocalStore):
    """A store whose refusals do not say which file moved."""

    def write_many(self, writes, *, message=""):
        try:
            return super().write_many(writes, message=message)
        except ConflictError as exc:
            raise ConflictError(str(exc)) from None


@pytest.mark.parametrize("vague", [False, True])
def test_several_leases_are_renewed_in_one_write_and_a_taken_one_is_named(tmp_path, vague):
    store = (VagueStore if vague else LocalStore)(tmp_path / "queue")
    put(store, request("org/a"), request("org/b"), request("org/c"))
    mine = queue(store)
    claims = mine.claim_many(mine.pending(), suite="sample")
    assert sorted(c.request.model for c in claims) == ["org/a", "org/b", "org/c"]
    assert len({c.request.job_id for c in claims}) == 3  # claimed together, told apart
    taken = claims[1]
    store.write(taken.path, store.read(taken.path))  # reconciled by another worker, say
    changes = [(c, c.request.with_changes(heartbeat=T0 + timedelta(seconds=20))) for c in claims]
    renewed, lost = mine.swap_many(changes, "Heartbeat 3 evaluation(s)")
    assert lost == [taken.path]
    assert sorted(renewed) == sorted(c.path for c in claims if c is not taken)
    for claim in renewed.values():
        assert stored(store, claim.request).heartbeat == T0 + timedelta(seconds=20)
        assert store.version(claim.path) == claim.version
    assert stored(store, taken.request).heartbeat == T0  # left as the other worker wrote it
