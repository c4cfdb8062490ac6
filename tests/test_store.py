"""LocalStore: atomic writes, compare-and-swap, paths that cannot escape, real concurrency."""

from __future__ import annotations

import json
import multiprocessing
import os
import threading

import pytest

from leaderboard.errors import ConflictError, MissingFileError, UnsafePathError
from leaderboard.stores import LocalStore, open_store
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
