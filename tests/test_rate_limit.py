"""The rate limit holds when submissions race: real threads through the real submission
pipeline, on a real LocalStore and on a HubStore talking to the loopback Hub (`hub_server`).

Submissions of one namespace each reserve their slot in the namespace's ledger with a
compare-and-swap write before writing their request (`submission/ledger.py`); a request that
is not written gives its slot back, and a reservation left by a crash expires.
"""

from __future__ import annotations

import json
import shutil
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from leaderboard.config import load_settings
from leaderboard.errors import StoreError
from leaderboard.stores import LocalStore, StoredFile
from leaderboard.stores.hub import HubStore, Retry
from leaderboard.submission import (
    Accepted,
    LocalModelSource,
    ModelFinder,
    Refusal,
    SubmissionForm,
    Submitter,
    policy_from_settings,
)
from leaderboard.submission.ledger import HOLD, LEDGER_NAME, RateLedger
from leaderboard.submission.rules import check_form
from leaderboard.table import TableLoader

NOW = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)
NAMESPACE = "crowd-org"
LEDGER = f"{NAMESPACE}/{LEDGER_NAME}"
FULL = "the most this leaderboard accepts ({limit}); try again after"


@pytest.fixture(scope="module")
def models(tmp_path_factory, tiny_model) -> Path:
    """`crowd-org/model-00` ... `model-15`: links to one tiny model, so its (cached) load
    check runs once for all of them."""
    root = tmp_path_factory.mktemp("rate-models")
    shutil.copytree(tiny_model, root / "tiny-org" / "tiny-model")  # links stay inside the root
    (root / NAMESPACE).mkdir()
    for i in range(16):
        link = root / NAMESPACE / f"model-{i:02d}"
        link.symlink_to(root / "tiny-org" / "tiny-model", target_is_directory=True)
    return root


@pytest.fixture(scope="module")
def finder(models) -> ModelFinder:
    """Its load check done once, up front (it is cached by the files' contents): the races
    below are between store writes, not twelve child processes importing transformers."""
    finder = ModelFinder(local=LocalModelSource(models), hub=None)
    finder.check_loads(finder.inspect(finder.locate("tiny-org/tiny-model", "main")))
    return finder


def policy(limit: str = "5/7"):
    """The policy the app builds from `LEADERBOARD_RATE_LIMIT`."""
    return policy_from_settings(load_settings({"LEADERBOARD_RATE_LIMIT": limit}))


def submitter(queue, finder, limit: str = "5/7", *, now: datetime = NOW) -> Submitter:
    return Submitter(queue, finder, policy(limit), clock=lambda: now)


def form(index: int) -> SubmissionForm:
    return SubmissionForm(model=f"{NAMESPACE}/model-{index:02d}", model_type="chat")


def submit_at_once(pipelines: list[Submitter], indices: list[int]) -> list:
    """Submit `form(i)` for each index from its own thread, all released at once; thread
    `k` uses `pipelines[k % len(pipelines)]`."""
    barrier = threading.Barrier(len(indices))
    outcomes: list = [None] * len(indices)

    def work(k: int, index: int) -> None:
        barrier.wait()
        outcomes[k] = pipelines[k % len(pipelines)].submit(form(index), sender=f"user{k}")

    threads = [threading.Thread(target=work, args=(k, i)) for k, i in enumerate(indices)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a submission never returned"
    return outcomes


def assert_exactly_the_limit(outcomes: list, limit: int) -> list[Accepted]:
    accepted = [o for o in outcomes if isinstance(o, Accepted)]
    refused = [o for o in outcomes if not isinstance(o, Accepted)]
    assert len(accepted) == limit, refused
    assert all(isinstance(o, Refusal) and o.rule == "rate-limit" for o in refused), refused
    assert all(FULL.format(limit=limit) in o.message for o in refused), refused
    assert all(o.message.startswith(f"{NAMESPACE} has submitted {limit} models") for o in refused)
    return accepted


def test_12_racing_submissions_of_one_namespace_queue_exactly_the_limit(tmp_path, finder):
    queue = LocalStore(tmp_path / "queue")
    outcomes = submit_at_once([submitter(queue, finder)], list(range(12)))
    accepted = assert_exactly_the_limit(outcomes, 5)
    assert [f.path for f in queue.list_files()] == sorted(a.path for a in accepted)
    # Every request landed, so no reservation is held any more.
    ledger = RateLedger(queue)
    assert ledger.held(ledger.read(NAMESPACE), [a.request for a in accepted], NOW) == []
    # Later submissions, one at a time, are refused by the rule that reads the queue.
    late = submitter(queue, finder).submit(form(12), sender="late")
    assert isinstance(late, Refusal) and late.rule == "rate-limit"


def test_12_racing_submissions_through_the_hub_queue_exactly_the_limit(
    hub_server, tmp_path, finder
):
    """Three processes (the Space's replicas) with a store each, on one dataset repo, each
    store shared by four concurrent events as a Space shares it: the ledger's compare-and-swap
    is a commit naming the parent it read, and threads of one store race on its mirror too."""
    repo = "board-org/requests"
    hub_server.create_repo(repo, files={})
    retry = Retry(attempts=12, base_seconds=0.01, cap_seconds=0.1)  # 12 writers on one repo
    stores = [
        HubStore(
            f"hf://datasets/{repo}",
            endpoint=hub_server.url,
            token=hub_server.token,
            mirror_dir=tmp_path / f"mirror-{i}",
            retry=retry,
        )
        for i in range(3)
    ]
    outcomes = submit_at_once([submitter(s, finder) for s in stores], list(range(12)))
    accepted = assert_exactly_the_limit(outcomes, 5)
    files = hub_server.files(repo)
    requests = sorted(p for p in files if p.endswith(".json"))
    assert requests == sorted(a.path for a in accepted)
    assert set(files) - set(requests) <= {LEDGER, ".gitattributes"}
    assert [f.path for f in stores[0].list_files()] == requests  # what the loader and worker list


def test_sequential_submissions_count_each_request_once(tmp_path, finder):
    """A reservation whose request is in the queue no longer counts: the request does."""
    queue = LocalStore(tmp_path / "queue")
    pipeline = submitter(queue, finder, "3/7")
    outcomes = [pipeline.submit(form(i), sender="me") for i in range(4)]
    assert [type(o) for o in outcomes] == [Accepted, Accepted, Accepted, Refusal]
    assert outcomes[3].rule == "rate-limit"
    assert outcomes[3].message == (
        "crowd-org has submitted 3 models in the last 7 days, the most this leaderboard "
        "accepts (3); try again after 2026-11-27T12:00:00Z."
    )


class FlakyQueue:
    """A LocalStore whose request writes fail (`failures` times, then work): a Hub that
    answers 500 until its retries run out, a full disk."""

    def __init__(self, store: LocalStore, failures: int, error: type[Exception] = StoreError):
        self.store, self.failures, self.error = store, failures, error

    @property
    def location(self) -> str:
        return self.store.location

    def list_files(self, suffix: str = ".json", *, prefix: str = "") -> list[StoredFile]:
        return self.store.list_files(suffix, prefix=prefix)

    def read(self, path: str) -> bytes:
        return self.store.read(path)

    def read_versioned(self, path: str) -> tuple[bytes, str]:
        return self.store.read_versioned(path)

    def version(self, path: str) -> str | None:
        return self.store.version(path)

    def write(self, path: str, data: bytes, **options) -> StoredFile:
        if path.endswith(".json") and self.failures > 0:
            self.failures -= 1
            raise self.error(f"could not write {path}")
        return self.store.write(path, data, **options)


@pytest.mark.parametrize("error", [StoreError, OSError], ids=["store-error", "os-error"])
def test_a_failed_request_write_does_not_consume_a_slot(tmp_path, finder, error):
    queue = FlakyQueue(LocalStore(tmp_path / "queue"), failures=2, error=error)
    pipeline = submitter(queue, finder, "2/7")
    for index in (0, 1):  # two failed writes: as many slots as the limit allows
        if error is StoreError:
            outcome = pipeline.submit(form(index), sender="me")
            assert (outcome.rule, outcome.message) == (
                "store",
                "The queue could not be written; try again in a minute.",
            )
        else:  # an unexpected error propagates, and still gives the slot back
            with pytest.raises(OSError, match="could not write"):
                pipeline.submit(form(index), sender="me")
    ledger = RateLedger(queue)
    assert ledger.read(NAMESPACE).reservations == ()
    assert queue.list_files() == []
    outcomes = [pipeline.submit(form(i), sender="me") for i in (2, 3, 4)]
    assert [type(o) for o in outcomes] == [Accepted, Accepted, Refusal]
    assert outcomes[2].rule == "rate-limit"


def test_a_reservation_left_by_a_crash_expires(tmp_path, finder):
    """A submitter that died between its reservation and its request write holds its slot
    for `HOLD`, never longer."""
    queue = LocalStore(tmp_path / "queue")
    checked = check_form(form(0))
    crashed = RateLedger(queue).reserve(
        checked,
        "crowd-org/model-00_eval_request_False_float16_Original.json",
        NOW,
        policy("1/7"),
        NOW,
        lambda: [],
    )
    assert not isinstance(crashed, Refusal)
    soon = submitter(queue, finder, "1/7", now=NOW + HOLD - timedelta(seconds=1))
    refused = soon.submit(form(1), sender="me")
    assert isinstance(refused, Refusal) and refused.rule == "rate-limit"
    later = submitter(queue, finder, "1/7", now=NOW + HOLD + timedelta(seconds=1))
    assert isinstance(later.submit(form(1), sender="me"), Accepted)
    # The expired reservation was dropped when the new one was written.
    (held,) = RateLedger(queue).read(NAMESPACE).reservations
    assert held.request.startswith("crowd-org/model-01_")


@pytest.mark.parametrize(
    "content",
    [b"{ not json", b"[1, 2]", b'{"reservations": {"a": 1}}', b'{"reservations": [1, {}]}'],
    ids=["not-json", "a-list", "not-a-list", "bad-entries"],
)
def test_an_unreadable_ledger_does_not_block_submissions(tmp_path, finder, caplog, content):
    queue = LocalStore(tmp_path / "queue")
    queue.write(LEDGER, content)
    outcome = submitter(queue, finder, "1/7").submit(form(0), sender="me")
    assert isinstance(outcome, Accepted), outcome
    assert json.loads(queue.read(LEDGER))["reservations"][0]["request"] == outcome.path


def test_the_ledger_is_never_read_as_a_request(tmp_path, finder):
    """The table loader (Leaderboard and Queue tabs, `status`) and the worker list `.json`
    files: the ledger is neither a request nor an unreadable file to them."""
    queue = LocalStore(tmp_path / "queue")
    for index in range(2):
        assert isinstance(submitter(queue, finder).submit(form(index), sender="me"), Accepted)
    assert queue.version(LEDGER) is not None
    settings = load_settings(
        {
            "LEADERBOARD_QUEUE": str(tmp_path / "queue"),
            "LEADERBOARD_RESULTS": str(tmp_path / "results"),
            "LEADERBOARD_CACHE_DIR": str(tmp_path / "cache"),
        }
    )
    snapshot = TableLoader(
        LocalStore(tmp_path / "results"), queue, settings, use_cache=False
    ).load()
    assert snapshot.skipped == ()
    assert sorted(snapshot.requests["model"]) == ["crowd-org/model-00", "crowd-org/model-01"]
    assert LEDGER not in {f.path for f in queue.list_files()}


def test_exempt_namespaces_and_no_limit_write_no_ledger(tmp_path, finder):
    queue = LocalStore(tmp_path / "queue")
    assert isinstance(submitter(queue, finder, "off").submit(form(0), sender="me"), Accepted)
    exempt = policy_from_settings(
        load_settings({"LEADERBOARD_RATE_LIMIT": "1/7", "LEADERBOARD_RATE_LIMIT_EXEMPT": NAMESPACE})
    )
    pipeline = Submitter(queue, finder, exempt, clock=lambda: NOW)
    assert all(isinstance(pipeline.submit(form(i), sender="me"), Accepted) for i in (1, 2))
    assert queue.version(LEDGER) is None
