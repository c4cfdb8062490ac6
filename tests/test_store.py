"""LocalStore: atomic writes, compare-and-swap, paths that cannot escape, real concurrency."""

from __future__ import annotations

import json
import multiprocessing
import os
import pickle
import threading

import pytest

from leaderboard.errors import ConflictError, MissingFileError, UnsafePathError
from leaderboard.stores import ANY_VERSION, FileWrite, LocalStore, open_store
from leaderboard.stores.base import safe_relative_path


def test_write_read_list(tmp_path):
    store = LocalStore(tmp_path / "store")
    written = store.write("org/model/results_1.json", b'{"a": 1}')
    assert store.read("org/model/results_1.json") == b'{"a": 1}'
    assert [f.path for f in store.list_files()] == ["org/model/results_1.json"]
    assert store.list_files()[0].version == written.version


def test_version_changes_on_every_write_even_with_same_size(tmp_path):
    store = LocalStore(tmp_path)
    first = store.write("a.json", b"1111").version
    second = store.write("a.json", b"2222").version
    assert first != second


def test_listing_ignores_lock_and_temporary_files_and_other_suffixes(tmp_path):
    store = LocalStore(tmp_path)
    store.write("org/a.json", b"{}")
    (tmp_path / "org" / ".a.json.tmpXYZ").write_bytes(b"half")
    (tmp_path / "notes.txt").write_text("x")
    assert [f.path for f in store.list_files()] == ["org/a.json"]
    assert [f.path for f in store.list_files(suffix=".txt")] == ["notes.txt"]


def test_create_only_refuses_an_existing_file_and_changes_nothing(tmp_path):
    store = LocalStore(tmp_path)
    store.write("q.json", b"first", expected_version=None)
    with pytest.raises(ConflictError, match="exists already"):
        store.write("q.json", b"second", expected_version=None)
    assert store.read("q.json") == b"first"


def test_compare_and_swap(tmp_path):
    store = LocalStore(tmp_path)
    version = store.write("q.json", b"PENDING").version
    store.write("q.json", b"RUNNING by A", expected_version=version)
    with pytest.raises(ConflictError, match="has changed"):
        store.write("q.json", b"RUNNING by B", expected_version=version)
    assert store.read("q.json") == b"RUNNING by A"


def test_delete(tmp_path):
    store = LocalStore(tmp_path)
    version = store.write("d.json", b"x").version
    with pytest.raises(ConflictError):
        store.delete("d.json", expected_version="stale")
    store.delete("d.json", expected_version=version)
    with pytest.raises(MissingFileError):
        store.read("d.json")
    with pytest.raises(MissingFileError):
        store.delete("d.json")


@pytest.mark.parametrize(
    "path",
    [
        "",
        "../outside.json",
        "org/../../outside.json",
        "/etc/passwd",
        "org//model.json",
        "./model.json",
        "org/./model.json",
        "org\\model.json",
        "org/model\x00.json",
        ".hidden.json",
        "org/.leaderboard.lock",
        "C:/windows.json",
    ],
)
def test_paths_that_could_leave_the_root_are_refused(tmp_path, path):
    store = LocalStore(tmp_path / "store")
    with pytest.raises(UnsafePathError):
        store.write(path, b"x")
    with pytest.raises(UnsafePathError):
        store.read(path)
    assert list((tmp_path).rglob("*.json")) == []


def test_symlink_out_of_the_root_is_refused(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    store = LocalStore(tmp_path / "store")
    os.symlink(outside, tmp_path / "store" / "org")
    with pytest.raises(UnsafePathError, match="outside the store"):
        store.write("org/model.json", b"x")
    assert list(outside.iterdir()) == []


def test_reading_through_a_symlink_is_refused(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.json").write_text("{}")
    store = LocalStore(tmp_path / "store")
    os.symlink(outside, tmp_path / "store" / "org")
    os.symlink(outside / "secret.json", tmp_path / "store" / "link.json")
    for path in ("org/secret.json", "link.json"):
        with pytest.raises(UnsafePathError, match="symbolic link"):
            store.read(path)
    assert store.list_files() == []  # listing never follows links either


def test_safe_relative_path_message_names_the_path():
    with pytest.raises(UnsafePathError, match=r"\.\./x"):
        safe_relative_path("../x")


@pytest.mark.parametrize(
    "location", ["hf://models/org/requests", "hf://datasets/org", "hf://datasets/../etc"]
)
def test_a_malformed_hub_location_says_how_to_write_one(location):
    with pytest.raises(ValueError, match=r"write `hf://datasets/<org>/<name>` \(a dataset repo"):
        open_store(location)


def test_threads_writing_the_same_file_never_leave_a_torn_file(tmp_path):
    store = LocalStore(tmp_path)
    payloads = [json.dumps({"writer": i, "pad": "x" * 50_000}).encode() for i in range(16)]

    def write(data: bytes) -> None:
        for _ in range(10):
            store.write("shared.json", data)

    threads = [threading.Thread(target=write, args=(p,)) for p in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.read("shared.json") in payloads
    assert [f.path for f in store.list_files()] == ["shared.json"]


def _create_once(root: str, index: int, results) -> None:
    store = LocalStore(root)
    try:
        store.write("race.json", json.dumps({"winner": index}).encode(), expected_version=None)
        results.put(("won", index))
    except ConflictError:
        results.put(("lost", index))


def test_processes_racing_to_create_one_file_produce_exactly_one_winner(tmp_path):
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    processes = [
        context.Process(target=_create_once, args=(str(tmp_path), i, results)) for i in range(8)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
    outcomes = [results.get(timeout=5) for _ in processes]
    winners = [index for outcome, index in outcomes if outcome == "won"]
    assert len(winners) == 1
    assert json.loads(LocalStore(tmp_path).read("race.json")) == {"winner": winners[0]}


# -- write_many ----------------------------------------------------------------------------------


def snapshot(store: LocalStore) -> dict[str, bytes]:
    return {f.path: store.read(f.path) for f in store.list_files(suffix="")}


def test_write_many_writes_every_file_and_returns_their_versions_in_order(tmp_path):
    store = LocalStore(tmp_path)
    writes = [FileWrite(f"org/m{i}/details_{i}.jsonl", b"%d" % i) for i in range(5)]
    writes.append(FileWrite("org/m0/results_1.json", b"{}", expected_version=None))
    written = store.write_many(writes, message="Publish org/m0")
    assert [f.path for f in written] == [w.path for w in writes]
    assert {f.path: f.version for f in store.list_files(suffix="")} == {
        f.path: f.version for f in written
    }
    assert snapshot(store) == {w.path: w.data for w in writes}


def test_write_many_of_nothing_does_nothing(tmp_path):
    store = LocalStore(tmp_path)
    store._lock = None  # any I/O would need the lock
    assert store.write_many([]) == []


def test_write_many_writes_nothing_when_a_version_does_not_hold(tmp_path):
    """Every expected version is checked first; the error names each refused path, so a
    caller can drop those and write the rest again."""
    store = LocalStore(tmp_path)
    kept = store.write("q/a.json", b"a").version
    stale = store.write("q/b.json", b"b").version
    store.write("q/b.json", b"b2")
    store.write("q/c.json", b"c")
    before = snapshot(store)
    writes = [
        FileWrite("q/a.json", b"a+", expected_version=kept),
        FileWrite("q/b.json", b"b+", expected_version=stale),
        FileWrite("q/c.json", b"c+", expected_version=None),
        FileWrite("new/d.json", b"d", expected_version=None),
    ]
    with pytest.raises(ConflictError, match="nothing was changed") as refused:
        store.write_many(writes)
    assert refused.value.paths == ("q/b.json", "q/c.json")
    assert "'q/b.json' has changed" in str(refused.value)
    assert "'q/c.json' exists already" in str(refused.value)
    assert snapshot(store) == before and not (tmp_path / "new").exists()
    retried = [w for w in writes if w.path not in refused.value.paths]
    assert [f.path for f in store.write_many(retried)] == ["q/a.json", "new/d.json"]


def test_write_many_refuses_duplicate_and_unsafe_paths_before_any_io(tmp_path):
    store = LocalStore(tmp_path)
    with pytest.raises(ValueError, match=r"'q/a\.json' is written twice"):
        store.write_many([FileWrite("q/a.json", b"1"), FileWrite("q/a.json", b"2")])
    with pytest.raises(UnsafePathError):
        store.write_many([FileWrite("q/ok.json", b"1"), FileWrite("../out.json", b"2")])
    assert snapshot(store) == {} and not (tmp_path / "q").exists()


def test_write_many_writes_in_order_so_a_crash_midway_keeps_the_earlier_files(tmp_path):
    """Each file is atomic, the set is not: a failure at the third file leaves the first two
    written and the rest untouched, which is why a caller puts the file that marks a result
    done last."""
    store = LocalStore(tmp_path)
    store.write("q/request.json", b"RUNNING")
    replace, names = store._replace, []

    def fail_at_the_third(folder: int, name: str, data: bytes) -> None:
        names.append(name)
        if len(names) == 3:
            raise OSError("disk full")
        replace(folder, name, data)

    store._replace = fail_at_the_third
    writes = [FileWrite(f"r/details_{i}.jsonl", b"x") for i in range(3)]
    with pytest.raises(OSError, match="disk full"):
        store.write_many([*writes, FileWrite("q/request.json", b"FINISHED")])
    assert names == ["details_0.jsonl", "details_1.jsonl", "details_2.jsonl"]
    assert snapshot(store) == {
        "q/request.json": b"RUNNING",
        "r/details_0.jsonl": b"x",
        "r/details_1.jsonl": b"x",
    }


def test_write_is_a_write_many_of_one(tmp_path):
    store = LocalStore(tmp_path)
    calls = []
    write_many = store.write_many
    store.write_many = lambda writes, **options: calls.append(writes) or write_many(writes)
    store.write("a.json", b"1", expected_version=None)
    assert calls == [[FileWrite("a.json", b"1", expected_version=None)]]
    with pytest.raises(ConflictError, match=r"'a\.json' exists already") as refused:
        store.write("a.json", b"2", expected_version=None)
    assert refused.value.paths == ("a.json",)
    assert store.write("a.json", b"3", expected_version=ANY_VERSION).path == "a.json"


def test_conflict_error_paths_are_optional_and_survive_pickling():
    assert ConflictError("changed").paths == ()
    copy = pickle.loads(pickle.dumps(ConflictError("changed", paths=("a.json", "b.json"))))
    assert (str(copy), copy.paths) == ("changed", ("a.json", "b.json"))
