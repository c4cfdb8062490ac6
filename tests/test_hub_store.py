"""HubStore through the real `huggingface_hub` client against `hub_server`, a Hub stand-in on
loopback (the real Hub cannot be reached here; see tests/hub_server/ for the endpoints it
implements: repo info, tree, resolve, preupload and commit with the parent-commit precondition).

Covers the store contract (read, write, compare-and-swap, create-only, delete, paths), the
mirror (an unchanged head costs one request and downloads nothing; a change downloads only
the changed file), faults (429, 500 with or without the commit landing, dropped connections:
bounded retries, no lost or duplicated write), and errors that say what to fix without ever
showing the token.
"""

from __future__ import annotations

import json
import logging
import threading

import pytest

from leaderboard.errors import ConflictError, MissingFileError, StoreError, UnsafePathError
from leaderboard.stores import ANY_VERSION
from leaderboard.stores.hub import HubStore, Retry, blob_id

REPO = "board-org/requests"
FAST = Retry(attempts=4, base_seconds=0.01, cap_seconds=0.05)


@pytest.fixture
def hub(hub_server):
    hub_server.create_repo(REPO, files={"org/a_eval_request.json": b'{"model": "org/a"}'})
    return hub_server


def store_for(hub, tmp_path, name: str = "mirror", token: str | None = None, retry=FAST):
    return HubStore(
        f"hf://datasets/{REPO}",
        endpoint=hub.url,
        token=token or hub.token,
        mirror_dir=tmp_path / name,
        retry=retry,
    )


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


def test_errors_say_what_to_fix_and_never_show_the_token(hub, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    secret = "hf_secret_do_not_print"
    wrong = store_for(hub, tmp_path, "wrong", token=secret)
    with pytest.raises(StoreError, match=r"refused the token .* Set HF_TOKEN") as refused:
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
