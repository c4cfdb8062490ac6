"""HubStore through the real `huggingface_hub` client against `hub_server`, a Hub stand-in on
loopback (the real Hub cannot be reached here; see tests/hub_server/ for the endpoints it
implements: repo info, tree, resolve, preupload and commit with the parent-commit precondition).

Covers the store contract (read, write, compare-and-swap, create-only, delete, paths), the
mirror (an unchanged head costs one request and downloads nothing; a change downloads only
the changed file; threads sharing one store read only committed versions whose blob it has
stored, and the mirror never goes back), faults (429, 500 with or without the commit landing,
dropped connections: bounded retries, no lost or duplicated write, a failed write changes
nothing), the retry policy (no retry on top of the library's own, Retry-After waited for, lost
races on their own jittered budget: counted in requests and in recorded sleeps, never timed),
and errors that say what to fix, quote the Hub's message and request id, and never show the
token. `write_many` is one commit for many files, under the same guarantees, and waits out
the Hub's commit quota (a 429 with Retry-After) that it exists to stay under.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from email.utils import formatdate
from types import SimpleNamespace

import pytest
from huggingface_hub.errors import HfHubHTTPError
from huggingface_hub.utils import _http

from hub_server import MSG_COMMIT_QUOTA, MSG_INVALID_TOKEN, MSG_PARENT_MOVED, MSG_SERVER_ERROR
from leaderboard.errors import ConflictError, MissingFileError, StoreError, UnsafePathError
from leaderboard.stores import ANY_VERSION, FileWrite
from leaderboard.stores.hub import HubStore, Retry, blob_id, parse_retry_after

REPO = "board-org/requests"
FAST = Retry(attempts=4, base_seconds=0.01, cap_seconds=0.05)
NOW = 1_800_000_000.0  # the clock of stores that read a Retry-After date
HEAD = rf"^/api/datasets/{REPO}/revision/main$"
REQUEST = "org/a_eval_request.json"


@pytest.fixture
def hub(hub_server):
    hub_server.create_repo(REPO, files={"org/a_eval_request.json": b'{"model": "org/a"}'})
    return hub_server


def store_for(hub, tmp_path, name: str = "mirror", token: str | None = None, retry=FAST, **options):
    return HubStore(
        f"hf://datasets/{REPO}",
        endpoint=hub.url,
        token=token or hub.token,
        mirror_dir=tmp_path / name,
        retry=retry,
        **options,
    )


@pytest.fixture
def library_sleeps(monkeypatch) -> list[float]:
    """huggingface_hub's own backoff waits (1 to 8 s each), recorded instead of slept."""
    sleeps: list[float] = []
    monkeypatch.setattr(_http, "time", SimpleNamespace(sleep=sleeps.append))
    return sleeps


def test_read_write_list_and_delete(hub, tmp_path):
    store = store_for(hub, tmp_path)
    assert [f.path for f in store.list_files()] == ["org/a_eval_request.json"]  # no .gitattributes
    assert store.read("org/a_eval_request.json") == b'{"model": "org/a"}'
    written = store.write("org/b/results_1.json", b'{"x": 1}', message="Results for org/b")
    assert written.version == blob_id(b'{"x": 1}')
    assert hub.files(REPO)["org/b/results_1.json"] == b'{"x": 1}'
    assert hub.commits(REPO)[0].title == "Results for org/b"
    other = store_for(hub, tmp_path, "other-mirror")
    assert {f.path: f.version for f in other.list_files(prefix="org/b")} == {
        "org/b/results_1.json": written.version
    }
    assert [f.path for f in other.list_files(suffix=".txt")] == []
    store.delete("org/b/results_1.json")
    assert "org/b/results_1.json" not in hub.files(REPO)
    assert [f.path for f in other.list_files(prefix="org/b")] == []
    with pytest.raises(MissingFileError):
        other.read("org/b/results_1.json")


def test_compare_and_swap_and_create_only(hub, tmp_path):
    mine, theirs = store_for(hub, tmp_path, "mine"), store_for(hub, tmp_path, "theirs")
    _, version = mine.read_versioned("org/a_eval_request.json")
    theirs.write("org/a_eval_request.json", b'{"model": "org/a", "status": "RUNNING"}')
    head = hub.head(REPO)
    with pytest.raises(ConflictError, match="has changed"):
        mine.write("org/a_eval_request.json", b'{"mine": true}', expected_version=version)
    with pytest.raises(ConflictError, match="exists already"):
        mine.write("org/a_eval_request.json", b"{}", expected_version=None)
    assert hub.head(REPO) == head  # refused: nothing committed
    fresh = mine.write("org/new.json", b"{}", expected_version=None)
    assert mine.write("org/new.json", b"[1]", expected_version=fresh.version).path == "org/new.json"


def test_a_write_guarding_one_file_survives_commits_to_others(hub, tmp_path):
    """Another writer's commit moves the head (the server refuses our parent with 412); the
    guarded file did not change, so the store re-reads and commits on the new head."""
    mine, theirs = store_for(hub, tmp_path, "mine"), store_for(hub, tmp_path, "theirs")
    _, version = mine.read_versioned("org/a_eval_request.json")
    theirs.write("org/unrelated.json", b"{}")
    hub.clear_log()
    mine.write("org/a_eval_request.json", b'{"claimed": true}', expected_version=version)
    commits = [r.status for r in hub.requests("POST", r"/commit/")]
    assert commits == [412, 200]
    assert hub.files(REPO)["org/a_eval_request.json"] == b'{"claimed": true}'


def test_racing_claims_across_machines_exactly_one_wins(hub, tmp_path):
    stores = [store_for(hub, tmp_path, f"m{i}") for i in range(6)]
    versions = [s.read_versioned("org/a_eval_request.json")[1] for s in stores]
    winners, losers = [], []
    barrier = threading.Barrier(len(stores))

    def claim(index: int) -> None:
        barrier.wait()
        body = json.dumps({"model": "org/a", "worker": index}).encode()
        try:
            stores[index].write("org/a_eval_request.json", body, expected_version=versions[index])
            winners.append(index)
        except ConflictError:
            losers.append(index)

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(len(stores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1 and len(losers) == 5
    stored = json.loads(hub.files(REPO)["org/a_eval_request.json"])
    assert stored["worker"] == winners[0]


def test_threads_sharing_one_store_never_read_a_version_it_has_not_stored(hub_server, tmp_path):
    """A Space shares one HubStore among its concurrent events. Threads of one store write
    their own file, compare-and-swap a shared one and read each other's files and the listing
    at the same time: no read fails, each returns the bytes of the version it reports, that
    version was committed, a thread reads back what it wrote, and no compare-and-swap update
    is lost. Storing a blob is slowed down, so a store that named a version in its mirror
    before storing its blob would be caught every time rather than once in a while."""
    threads, rounds, shared = 6, 6, "org/shared.json"
    own = [f"org/t{k}.json" for k in range(threads)]
    hub = hub_server
    hub.create_repo(REPO, files={shared: b'{"count": 0}', **{p: b"{}" for p in own}})
    retry = Retry(attempts=4, base_seconds=0.01, conflicts=200, conflict_cap_seconds=0.02)
    store = store_for(hub, tmp_path, retry=retry)
    store.list_files()
    store_blob = store._store_blob
    store._store_blob = lambda oid, data: (time.sleep(0.003), store_blob(oid, data))
    reads: list[tuple[str, bytes, str]] = []
    failures: list[BaseException] = []
    swapped = [0] * threads
    barrier = threading.Barrier(threads)

    def work(k: int) -> None:
        barrier.wait()
        try:
            for i in range(rounds):
                body = json.dumps({"thread": k, "round": i}).encode()
                store.write(own[k], body)
                assert store.read(own[k]) == body  # its own write, not an older version
                content, version = store.read_versioned(shared)
                count = json.loads(content)["count"]
                try:
                    update = json.dumps({"count": count + 1, "by": k}).encode()
                    store.write(shared, update, expected_version=version)
                    swapped[k] += 1
                except ConflictError:
                    pass
                for path in (own[(k + 1) % threads], shared):
                    reads.append((path, *store.read_versioned(path)))
                for listed in store.list_files(prefix="org"):
                    reads.append((listed.path, *store.read_versioned(listed.path)))
        except BaseException as exc:  # reported below
            failures.append(exc)

    workers = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not any(w.is_alive() for w in workers), "a thread never returned"
    assert failures == []
    committed: dict[str, set[bytes]] = {}
    for commit in hub.commits(REPO):
        for path, content in commit.files.items():
            committed.setdefault(path, set()).add(content)
    assert len(reads) > threads * rounds * 2
    for path, content, version in reads:
        assert blob_id(content) == version and content in committed[path], (path, content)
    assert json.loads(hub.files(REPO)[shared])["count"] == sum(swapped) > 0  # none lost
    assert {f.path: f.version for f in store.list_files()} == {
        p: blob_id(c) for p, c in hub.files(REPO).items() if p.endswith(".json")
    }


def test_a_write_never_takes_the_mirror_back(hub, tmp_path, monkeypatch):
    """Between a commit landing and the store recording it, another event of the same store
    may refresh the mirror past it (here, to another writer's later version of the file): the
    mirror stays at the newer head rather than go back to the commit it wrote."""
    store, other = store_for(hub, tmp_path), store_for(hub, tmp_path, "other")
    store.list_files()
    create_commit = store.api.create_commit

    def commit_then_refresh_past_it(*args, **kwargs):
        info = create_commit(*args, **kwargs)
        other.write(REQUEST, b'{"newer": 1}')
        store.list_files()
        return info

    monkeypatch.setattr(store.api, "create_commit", commit_then_refresh_past_it)
    assert store.write(REQUEST, b'{"older": 1}').version == blob_id(b'{"older": 1}')
    assert store.read(REQUEST) == b'{"newer": 1}'
    hub.clear_log()
    store.list_files()
    assert hub.requests("GET", "/tree/") == []  # the mirror is at the repo's head


def test_an_unchanged_head_downloads_nothing(hub, tmp_path):
    store = store_for(hub, tmp_path)
    store.list_files()
    hub.clear_log()
    for _ in range(3):
        store.list_files()
        store.read("org/a_eval_request.json")
    assert [(r.method, r.path) for r in hub.requests()] == [
        ("GET", f"/api/datasets/{REPO}/revision/main")
    ] * 3


def test_a_change_downloads_only_the_changed_file(hub, tmp_path):
    store, writer = store_for(hub, tmp_path), store_for(hub, tmp_path, "writer")
    for i in range(5):
        writer.write(f"org/m{i}.json", b"{}")
    store.list_files()
    writer.write("org/m3.json", b'{"changed": 1}')
    hub.clear_log()
    store.list_files()
    downloads = [r.path for r in hub.requests("GET", r"/resolve/")]
    assert downloads == [f"/datasets/{REPO}/resolve/{hub.head(REPO)}/org/m3.json"]
    assert store.read("org/m3.json") == b'{"changed": 1}'


def test_a_restart_reuses_the_mirror(hub, tmp_path):
    store_for(hub, tmp_path).list_files()
    hub.clear_log()
    again = store_for(hub, tmp_path)  # same mirror folder, new process in effect
    assert [f.path for f in again.list_files()] == ["org/a_eval_request.json"]
    assert hub.requests("GET", r"/resolve/") == []


def test_transient_failures_are_retried_within_the_bound(hub, tmp_path):
    store = store_for(hub, tmp_path)
    hub.inject("GET", rf"/api/datasets/{REPO}/revision/main", status=429, times=2)
    assert [f.path for f in store.list_files()] == ["org/a_eval_request.json"]
    hub.inject("POST", r"/commit/", status=503, times=1)
    store.write("org/x.json", b"1")
    hub.inject("POST", r"/commit/", drop=True, times=1)
    store.write("org/y.json", b"2")
    assert {"org/x.json", "org/y.json"} <= set(hub.files(REPO))
    hub.inject("GET", rf"/api/datasets/{REPO}/revision/main", status=500, times=10)
    with pytest.raises(StoreError, match="try again later"):
        store_for(hub, tmp_path, "cold").list_files()
    hub.clear_faults()


def test_a_commit_that_landed_but_whose_answer_was_lost_is_not_repeated(hub, tmp_path):
    store = store_for(hub, tmp_path)
    _, version = store.read_versioned("org/a_eval_request.json")
    before = len(hub.commits(REPO))
    hub.inject("POST", r"/commit/", status=500, after_apply=True, times=1)
    store.write("org/a_eval_request.json", b'{"claimed": 1}', expected_version=version)
    assert len(hub.commits(REPO)) == before + 1  # one commit, not two
    assert hub.files(REPO)["org/a_eval_request.json"] == b'{"claimed": 1}'


def test_a_failed_write_leaves_the_mirror_and_its_blobs_as_they_were(hub, tmp_path):
    store = store_for(hub, tmp_path, sleep=[].append)
    before = store.read_versioned(REQUEST)
    hub.inject("POST", r"/commit/", status=500, times=FAST.attempts)
    with pytest.raises(StoreError, match="kept failing"):
        store.write(REQUEST, b'{"lost": 1}')
    assert store.read_versioned(REQUEST) == before and store.version(REQUEST) == before[1]
    assert not (store.blobs / blob_id(b'{"lost": 1}')).exists()


def test_errors_say_what_to_fix_and_never_show_the_token(hub, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    secret = "hf_secret_do_not_print"
    wrong = store_for(hub, tmp_path, "wrong", token=secret)
    with pytest.raises(StoreError, match=r"refused the token\. Set HF_TOKEN") as refused:
        wrong.list_files()
    hub.add_token("hf_reader", "reader", role="read")
    reader = store_for(hub, tmp_path, "reader", token="hf_reader")
    reader.list_files()
    with pytest.raises(StoreError, match="write access") as forbidden:
        reader.write("org/z.json", b"{}")
    missing = HubStore(
        "hf://datasets/board-org/nothing-here",
        endpoint=hub.url,
        token=hub.token,
        mirror_dir=tmp_path / "missing",
        retry=FAST,
    )
    with pytest.raises(StoreError, match="that it is a dataset repo"):
        missing.list_files()
    for text in (str(refused.value), str(forbidden.value), caplog.text, repr(wrong)):
        assert secret not in text and "hf_reader" not in text


def test_paths_are_checked_before_any_request(hub, tmp_path):
    store = store_for(hub, tmp_path)
    hub.clear_log()
    for path in ("../x.json", "/etc/passwd", "org/.hidden.json"):
        with pytest.raises(UnsafePathError):
            store.write(path, b"{}")
    assert hub.requests() == []
    assert store.write("org/ok.json", b"{}", expected_version=ANY_VERSION).path == "org/ok.json"


# -- the retry policy --------------------------------------------------------------------------


def test_what_the_library_retries_is_not_retried_again(hub, tmp_path, library_sleeps):
    """The tree listing and the preupload step go through huggingface_hub's `http_backoff`
    (1 try + 5 retries): the store adds none of its own, so 6 requests, not 6 x attempts."""
    sleeps: list[float] = []
    store = store_for(hub, tmp_path, sleep=sleeps.append)
    hub.inject("GET", "/tree/", status=503, times=6)
    with pytest.raises(StoreError, match="kept failing") as error:
        store.list_files()
    assert [r.status for r in hub.requests("GET", "/tree/")] == [503] * 6
    assert hub.requests("GET", "/tree/")[-1].request_id in str(error.value)
    assert (len(library_sleeps), sleeps) == (5, [])
    hub.inject("GET", "/tree/", drop=True, times=6)
    with pytest.raises(StoreError, match="RemoteProtocolError"):
        store.list_files()
    assert len(hub.requests("GET", "/tree/")) == 12 and sleeps == []

    hub.clear_log()
    hub.inject("GET", "/tree/", status=429, times=2)  # within the library's bound: it recovers
    assert [f.path for f in store.list_files()] == [REQUEST]
    assert [r.status for r in hub.requests("GET", "/tree/")] == [429, 429, 200] and sleeps == []

    hub.inject("POST", "/preupload/", status=502, times=6)
    with pytest.raises(StoreError, match="kept failing"):
        store.write("org/x.json", b"1")
    assert len(hub.requests("POST", "/preupload/")) == 6 and sleeps == []
    assert hub.requests("POST", "/commit/") == []

    # The commit POST itself is not retried by the library: the store retries it, once here.
    library_sleeps.clear()
    hub.inject("POST", "/commit/", status=503)
    store.write("org/x.json", b"1")
    assert [r.status for r in hub.requests("POST", "/commit/")] == [503, 200]
    assert len(sleeps) == 1 and library_sleeps == []


def test_retry_after_is_waited_for_where_the_store_retries(hub, tmp_path):
    sleeps: list[float] = []
    store = store_for(hub, tmp_path, sleep=sleeps.append, clock=lambda: NOW)
    store.list_files()
    hub.clear_log()
    hub.inject("GET", HEAD, status=429, retry_after=7)
    store.list_files()
    hub.inject("GET", HEAD, status=503, retry_after=formatdate(NOW + 30, usegmt=True))
    store.list_files()
    hub.inject("POST", "/commit/", status=503, retry_after=5)
    store.write("org/x.json", b"1")
    assert sleeps == [7.0, 30.0, 5.0]  # what the Hub asked, not the backoff
    assert [r.status for r in hub.requests("GET", HEAD)][:4] == [429, 200, 503, 200]

    # Without Retry-After: the jittered backoff of the policy.
    hub.inject("GET", HEAD, status=500)
    store.list_files()
    assert FAST.base_seconds * 0.5 <= sleeps[-1] <= FAST.base_seconds

    # Longer than the policy allows: stop at once and say so, rather than block for an hour.
    hub.clear_log()
    hub.inject("GET", HEAD, status=429, retry_after=3600)
    with pytest.raises(StoreError, match="asks to wait 3600 s") as error:
        store.list_files()
    assert len(hub.requests("GET", HEAD)) == 1 and len(sleeps) == 4
    assert isinstance(error.value.__cause__, HfHubHTTPError)


def test_parse_retry_after():
    assert parse_retry_after({"Retry-After": "12"}, NOW) == 12.0
    assert parse_retry_after({"Retry-After": formatdate(NOW + 90, usegmt=True)}, NOW) == 90.0
    assert parse_retry_after({"Retry-After": formatdate(NOW - 90, usegmt=True)}, NOW) == 0.0
    for headers in ({}, {"Retry-After": ""}, {"Retry-After": "soon"}, {"Retry-After": "-3"}):
        assert parse_retry_after(headers, NOW) is None


def test_lost_races_have_their_own_jittered_budget(hub, tmp_path):
    """A 412 means another writer committed first: re-read, re-check, commit again after a
    full-jitter delay, from `conflicts`, not from the transient `attempts` (1: none here)."""
    sleeps: list[float] = []
    retry = Retry(attempts=1, conflicts=4, conflict_base_seconds=0.1, conflict_cap_seconds=0.3)
    store = store_for(hub, tmp_path, retry=retry, sleep=sleeps.append, rng=random.Random(7))
    _, version = store.read_versioned(REQUEST)
    hub.clear_log()
    hub.inject("POST", "/commit/", race={"org/other.json": b"{}"}, times=3)
    store.write(REQUEST, b'{"claimed": 1}', expected_version=version)
    assert [r.status for r in hub.requests("POST", "/commit/")] == [412, 412, 412, 200]
    assert hub.files(REPO)[REQUEST] == b'{"claimed": 1}'
    assert len(sleeps) == 3 and len(set(sleeps)) == 3  # jittered: no two writers in step
    assert all(0 <= s <= min(0.3, 0.1 * 2**n) for n, s in enumerate(sleeps, start=1))

    # The budget spent: the error quotes the Hub's 412 and its request id.
    hub.clear_log()
    hub.inject("POST", "/commit/", race={"org/other.json": b"[]"}, times=4)
    with pytest.raises(StoreError, match="other writers committed first 4 times") as error:
        store.write(REQUEST, b'{"claimed": 2}')
    commits = hub.requests("POST", "/commit/")
    assert [r.status for r in commits] == [412] * 4
    assert MSG_PARENT_MOVED in str(error.value) and commits[-1].request_id in str(error.value)

    # The race changed the guarded file: the expected version is checked again, no commit.
    hub.clear_log()
    _, version = store.read_versioned(REQUEST)
    hub.inject("POST", "/commit/", race={REQUEST: b'{"theirs": 1}'})
    with pytest.raises(ConflictError, match="has changed"):
        store.write(REQUEST, b'{"mine": 1}', expected_version=version)
    assert [r.status for r in hub.requests("POST", "/commit/")] == [412]


def test_failures_and_races_do_not_share_a_budget(hub, tmp_path):
    sleeps: list[float] = []
    retry = Retry(attempts=3, conflicts=2, base_seconds=0.01)
    store = store_for(hub, tmp_path, retry=retry, sleep=sleeps.append)
    store.list_files()
    hub.clear_log()
    hub.inject("POST", "/commit/", status=503, times=2)
    hub.inject("POST", "/commit/", race={"org/other.json": b"{}"})
    store.write("org/x.json", b"1")  # 2 failures (< 3) and 1 lost race (< 2): 4 tries
    assert [r.status for r in hub.requests("POST", "/commit/")] == [503, 503, 412, 200]
    assert len(sleeps) == 3


def test_errors_quote_the_hubs_message_and_request_id(hub, tmp_path):
    wrong = store_for(hub, tmp_path, "wrong", token="hf_not_a_token")
    with pytest.raises(StoreError) as refused:
        wrong.list_files()
    [record] = hub.requests()
    assert MSG_INVALID_TOKEN in str(refused.value) and record.request_id in str(refused.value)
    assert isinstance(refused.value.__cause__, HfHubHTTPError)  # chained, not dropped
    assert refused.value.__cause__.request_id == record.request_id

    sleeps: list[float] = []
    store = store_for(hub, tmp_path, sleep=sleeps.append)
    hub.clear_log()
    hub.inject("GET", HEAD, status=500, times=FAST.attempts)
    with pytest.raises(StoreError, match="kept failing") as failed:
        store.list_files()
    last = hub.requests("GET", HEAD)[-1]
    assert len(hub.requests("GET", HEAD)) == FAST.attempts and len(sleeps) == FAST.attempts - 1
    assert MSG_SERVER_ERROR in str(failed.value) and last.request_id in str(failed.value)

    # No retries allowed: one request, and the message does not claim the Hub "kept failing".
    hub.clear_log()
    once = store_for(hub, tmp_path, "once", retry=Retry(attempts=1), sleep=sleeps.append)
    hub.inject("GET", HEAD, status=503)
    with pytest.raises(StoreError, match="try again later") as failed:
        once.list_files()
    assert "kept failing" not in str(failed.value) and len(hub.requests("GET", HEAD)) == 1


# -- write_many: one commit for many files -----------------------------------------------------


def leases(count: int, body: bytes = b'{"status": "RUNNING"}') -> list[FileWrite]:
    return [FileWrite(f"org/m{i}_eval_request.json", body) for i in range(count)]


def test_write_many_is_one_commit(hub, tmp_path):
    store = store_for(hub, tmp_path)
    store.list_files()
    hub.clear_log()
    writes = leases(10)
    written = store.write_many(writes, message="Renew 10 leases")
    assert [r.status for r in hub.requests("POST", r"/commit/")] == [200]
    assert hub.commits(REPO)[0].title == "Renew 10 leases"
    assert [(f.path, f.version) for f in written] == [(w.path, blob_id(w.data)) for w in writes]
    assert {p: hub.files(REPO)[p] for p in (w.path for w in writes)} == {
        w.path: w.data for w in writes
    }
    other = store_for(hub, tmp_path, "other")
    assert {f.path: f.version for f in other.list_files(prefix="org")} == {
        REQUEST: blob_id(b'{"model": "org/a"}'),
        **{f.path: f.version for f in written},
    }
    hub.clear_log()
    assert [store.read(w.path) for w in writes] == [w.data for w in writes]
    assert hub.requests() == []  # the mirror followed its own commit, no listing


def test_write_many_of_nothing_and_bad_paths_send_no_request(hub, tmp_path):
    store = store_for(hub, tmp_path)
    store.list_files()
    hub.clear_log()
    assert store.write_many([]) == []
    with pytest.raises(ValueError, match="written twice"):
        store.write_many([FileWrite("org/x.json", b"1"), FileWrite("org/x.json", b"2")])
    with pytest.raises(UnsafePathError):
        store.write_many([FileWrite("org/ok.json", b"1"), FileWrite("org/.hidden", b"2")])
    assert hub.requests() == []


def test_write_many_commits_nothing_when_a_version_does_not_hold(hub, tmp_path):
    mine, theirs = store_for(hub, tmp_path, "mine"), store_for(hub, tmp_path, "theirs")
    first = mine.write_many(leases(3))
    theirs.write(first[1].path, b'{"status": "FAILED"}')
    head = hub.head(REPO)
    hub.clear_log()
    renewals = [FileWrite(f.path, b'{"renewed": 1}', f.version) for f in first]
    renewals.append(FileWrite(REQUEST, b"{}", expected_version=None))  # create-only: it exists
    with pytest.raises(ConflictError, match="nothing was changed") as refused:
        mine.write_many(renewals)
    assert refused.value.paths == (first[1].path, REQUEST)
    assert hub.head(REPO) == head and hub.requests("POST", r"/commit/") == []
    rest = [w for w in renewals if w.path not in refused.value.paths]
    mine.write_many(rest)
    assert [hub.files(REPO)[w.path] for w in rest] == [b'{"renewed": 1}'] * 2
    assert hub.files(REPO)[first[1].path] == b'{"status": "FAILED"}'


def test_a_version_newer_than_the_mirror_is_looked_up_before_refusing(hub, tmp_path):
    """A version read through another store (another process) may be newer than this store's
    mirror: the store reads the repo again rather than refuse on its stale mirror."""
    mine, theirs = store_for(hub, tmp_path, "mine"), store_for(hub, tmp_path, "theirs")
    mine.list_files()
    newer = theirs.write(REQUEST, b'{"v": 2}')
    hub.clear_log()
    [written] = mine.write_many([FileWrite(REQUEST, b'{"v": 3}', newer.version)])
    assert written.version == blob_id(b'{"v": 3}') == blob_id(hub.files(REPO)[REQUEST])
    assert [r.status for r in hub.requests("POST", r"/commit/")] == [200]


def test_write_many_create_only(hub, tmp_path):
    store = store_for(hub, tmp_path)
    created = store.write_many(
        [FileWrite(f"org/new{i}.json", b"{}", expected_version=None) for i in range(3)]
    )
    with pytest.raises(ConflictError) as refused:
        store.write_many([FileWrite(f.path, b"[]", expected_version=None) for f in created])
    assert refused.value.paths == tuple(f.path for f in created)


def test_write_many_after_a_lost_race_checks_every_version_again(hub, tmp_path):
    store = store_for(hub, tmp_path, sleep=[].append)
    first = store.write_many(leases(3))
    renewals = [FileWrite(f.path, b'{"renewed": 1}', f.version) for f in first]
    hub.clear_log()
    hub.inject("POST", "/commit/", race={"org/other.json": b"{}"})  # moves the head only
    store.write_many(renewals)
    assert [r.status for r in hub.requests("POST", "/commit/")] == [412, 200]
    assert [hub.files(REPO)[w.path] for w in renewals] == [b'{"renewed": 1}'] * 3

    hub.clear_log()
    again = [FileWrite(w.path, b'{"renewed": 2}', blob_id(w.data)) for w in renewals]
    hub.inject("POST", "/commit/", race={again[2].path: b'{"status": "FAILED"}'})
    with pytest.raises(ConflictError) as refused:
        store.write_many(again)
    assert refused.value.paths == (again[2].path,)
    assert [r.status for r in hub.requests("POST", "/commit/")] == [412]
    assert hub.files(REPO)[again[0].path] == b'{"renewed": 1}'


def test_write_many_whose_answer_was_lost_after_it_landed_is_not_repeated(hub, tmp_path):
    store = store_for(hub, tmp_path, sleep=[].append)
    first = store.write_many(leases(4))
    before = len(hub.commits(REPO))
    hub.inject("POST", r"/commit/", status=500, after_apply=True)
    renewed = store.write_many([FileWrite(f.path, b"[1]", f.version) for f in first])
    assert len(hub.commits(REPO)) == before + 1  # one commit, not two
    assert len(hub.requests("POST", r"/commit/")) == 2  # the first try and the lost one
    assert [f.version for f in renewed] == [blob_id(b"[1]")] * 4
    assert [store.read(f.path) for f in renewed] == [b"[1]"] * 4


# -- the Hub's commit quota ----------------------------------------------------------------------


def test_a_commit_over_the_quota_waits_the_hubs_retry_after_and_lands(hub, tmp_path):
    """The loopback Hub's quota as huggingface.co's: 2 commits per window here, then 429 with
    the Hub's message and the seconds left as Retry-After, which the store waits (for real:
    the window must end) before it commits again."""
    sleeps: list[float] = []
    store = store_for(hub, tmp_path, sleep=lambda s: (sleeps.append(s), time.sleep(s)))
    store.list_files()
    hub.limit_commits(2, window_seconds=1.0)
    hub.clear_log()
    store.write_many(leases(5))
    store.write("org/x.json", b"1")
    store.write_many(leases(5, b'{"renewed": 1}'))
    assert [r.status for r in hub.requests("POST", r"/commit/")] == [200, 200, 429, 200]
    assert sleeps == [1.0]
    assert hub.files(REPO)["org/m4_eval_request.json"] == b'{"renewed": 1}'
    hub.limit_commits(None)
    for i in range(3):
        store.write("org/x.json", b"%d" % i)
    assert [r.status for r in hub.requests("POST", r"/commit/")][-3:] == [200] * 3


def test_a_quota_that_ends_later_than_the_policy_waits_stops_and_says_so(hub, tmp_path):
    sleeps: list[float] = []
    store = store_for(hub, tmp_path, sleep=sleeps.append)
    hub.limit_commits(1)  # an hour, as on the Hub
    store.write("org/x.json", b"1")
    head = hub.head(REPO)
    hub.clear_log()
    with pytest.raises(StoreError, match=r"asks to wait 3600 s .*try again later") as error:
        store.write_many(leases(3))
    assert MSG_COMMIT_QUOTA in str(error.value)
    [refused] = hub.requests("POST", r"/commit/")
    assert refused.status == 429 and refused.request_id in str(error.value)
    assert hub.head(REPO) == head and sleeps == []
