"""The loopback Hub of `tests/hub_server/`, driven only through the real `huggingface_hub`.

The real Hugging Face Hub cannot be reached from here, so `HubServer` stands in for
huggingface.co on 127.0.0.1: repo create/info, tree listing (Link pagination), paths-info,
commits listing, refs, whoami, file download (HEAD/GET `/resolve` with ETag and X-Repo-Commit)
and commits (preupload + NDJSON commit with the `parentCommit` precondition). Its package
docstring lists every endpoint and error it implements.

These tests prove the stand-in is faithful where a Hub store depends on it, and pin down, as
executable facts, what `huggingface_hub` 2.4 itself does, which the store must build on:

- Which calls retry on their own. `list_repo_tree`, `list_repo_commits` (the paginated
  listings) and the preupload step of `create_commit` retry 408/429/5xx and dropped connections
  up to 5 times (sleeping 1, 2, 4, 8, 8 s; a 429 waits its RateLimit/Retry-After value + 1 s).
  `repo_info`/`dataset_info`, `get_paths_info`, `create_repo` and the commit POST itself never
  retry: the first 429/5xx raises `HfHubHTTPError`, the first dropped connection raises the
  transport error (`httpx2.RemoteProtocolError`; a reset is `httpx2.ReadError`) unwrapped.
- `hf_hub_download`: the file GET retries 408/429 and resumes after a dropped connection, but a
  5xx on it raises. A failed HEAD (5xx, 429) falls back silently to a cached copy of the same
  revision name, possibly stale; with nothing cached it retries the HEAD with backoff. A dropped
  HEAD is not caught at all: RemoteProtocolError even when the file is cached.
- A commit whose answer is lost may have landed: the client cannot tell. A stale
  `parent_commit` is refused with 412 (`HfHubHTTPError`), but a commit whose files all equal
  the remote ones never reaches the server, so it "succeeds" without checking the parent.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx2
import pytest
from huggingface_hub import (
    CommitOperationAdd,
    CommitOperationDelete,
    HfApi,
    HfFileSystem,
    hf_hub_download,
    snapshot_download,
)
from huggingface_hub.errors import (
    EntryNotFoundError,
    HfHubHTTPError,
    LocalEntryNotFoundError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.file_download import get_hf_file_metadata, hf_hub_url
from huggingface_hub.utils.sha import git_hash

from hub_server import (
    DEFAULT_GITATTRIBUTES,
    MSG_PARENT_MOVED,
    MSG_SERVER_ERROR,
    HubServer,
    allow_hub_requests,
    serve_hub,
)

REPO = "leaderboard/requests"


@pytest.fixture
def hub(monkeypatch) -> HubServer:
    allow_hub_requests(monkeypatch)
    with serve_hub() as server:
        server.create_repo(REPO, private=True)
        yield server
    assert not server.internal_errors, server.internal_errors


@pytest.fixture
def api(hub) -> HfApi:
    return HfApi(endpoint=hub.url, token=hub.token)


@pytest.fixture
def cache_dir(tmp_path) -> Path:
    # Always explicit: huggingface_hub reads HF_HUB_CACHE once, at import.
    return tmp_path / "hf-cache"


def add(path: str, content: bytes | str) -> CommitOperationAdd:
    return CommitOperationAdd(path, content.encode() if isinstance(content, str) else content)


def commit(api: HfApi, *operations, parent: str | None = None, message: str = "Update"):
    return api.create_commit(
        REPO, list(operations), commit_message=message, repo_type="dataset", parent_commit=parent
    )


def download(hub: HubServer, filename: str, cache_dir: Path, revision: str | None = None) -> str:
    return hf_hub_download(
        REPO,
        filename,
        repo_type="dataset",
        revision=revision,
        endpoint=hub.url,
        token=hub.token,
        cache_dir=cache_dir,
    )


def head_sha(api: HfApi) -> str:
    return api.dataset_info(REPO).sha


# -- repos, commits, listings, downloads ------------------------------------------------------


def test_create_repo_like_the_hub(hub, api):
    url = api.create_repo("leaderboard/results", repo_type="dataset", private=True)
    assert (url.repo_id, url.repo_type, url.endpoint) == ("leaderboard/results", "dataset", hub.url)

    info = api.dataset_info("leaderboard/results")
    assert info.private is True
    assert len(info.sha) == 40
    # A new Hub repo holds one commit, "initial commit" by "system", adding .gitattributes.
    assert [s.rfilename for s in info.siblings] == [".gitattributes"]
    [initial] = api.list_repo_commits("leaderboard/results", repo_type="dataset")
    assert (initial.title, initial.authors, initial.commit_id) == (
        "initial commit",
        ["system"],
        info.sha,
    )

    with pytest.raises(HfHubHTTPError) as error:
        api.create_repo("leaderboard/results", repo_type="dataset")
    assert error.value.response.status_code == 409
    assert api.create_repo("leaderboard/results", repo_type="dataset", exist_ok=True).repo_id == (
        "leaderboard/results"
    )
    assert api.repo_exists("leaderboard/results", repo_type="dataset")
    assert not api.repo_exists("leaderboard/nothing", repo_type="dataset")


def test_commit_list_and_download(hub, api, cache_dir):
    before = head_sha(api)
    request = b'{"model": "org/a", "status": "PENDING"}'
    info = commit(
        api,
        add("org/a_eval_request_False_bfloat16_Original.json", request),
        add("org/b_eval_request_False_float16_Original.json", "{}"),
        message="Add org/a to eval queue",
    )
    assert info.oid == head_sha(api) != before
    assert info.commit_url == f"{hub.url}/datasets/{REPO}/commit/{info.oid}"

    tree = {e.path: e for e in api.list_repo_tree(REPO, repo_type="dataset", recursive=True)}
    assert sorted(tree) == [
        ".gitattributes",
        "org",
        "org/a_eval_request_False_bfloat16_Original.json",
        "org/b_eval_request_False_float16_Original.json",
    ]
    entry = tree["org/a_eval_request_False_bfloat16_Original.json"]
    assert (entry.blob_id, entry.size, entry.lfs) == (git_hash(request), len(request), None)
    assert [e.path for e in api.list_repo_tree(REPO, repo_type="dataset")] == [
        ".gitattributes",
        "org",
    ]
    assert len(list(api.list_repo_tree(REPO, "org", repo_type="dataset"))) == 2

    path = download(hub, "org/a_eval_request_False_bfloat16_Original.json", cache_dir)
    assert Path(path).read_bytes() == request
    assert f"/snapshots/{info.oid}/" in path
    metadata = get_hf_file_metadata(
        hf_hub_url(
            REPO,
            "org/a_eval_request_False_bfloat16_Original.json",
            repo_type="dataset",
            endpoint=hub.url,
        ),
        token=hub.token,
    )
    assert (metadata.etag, metadata.commit_hash, metadata.size) == (
        git_hash(request),
        info.oid,
        len(request),
    )
    assert api.file_exists(
        REPO, "org/b_eval_request_False_float16_Original.json", repo_type="dataset"
    )
    assert not api.file_exists(REPO, "org/c.json", repo_type="dataset")

    # Deleting and rewriting in one commit moves the head once; history is newest first.
    second = commit(
        api,
        CommitOperationDelete("org/b_eval_request_False_float16_Original.json"),
        add("org/a_eval_request_False_bfloat16_Original.json", b'{"status": "RUNNING"}'),
    )
    assert [c.commit_id for c in api.list_repo_commits(REPO, repo_type="dataset")] == [
        second.oid,
        info.oid,
        before,
    ]
    assert set(hub.files(REPO)) == {
        ".gitattributes",
        "org/a_eval_request_False_bfloat16_Original.json",
    }
    assert (
        hub.files(REPO, revision=info.oid)["org/a_eval_request_False_bfloat16_Original.json"]
        == request
    )  # old snapshots stay readable by sha
    assert api.dataset_info(REPO, revision=info.oid).sha == info.oid
    assert api.dataset_info(REPO, revision=info.oid[:7]).sha == info.oid


def test_listings_paginate_through_the_link_header(monkeypatch):
    allow_hub_requests(monkeypatch)
    with serve_hub(tree_page_size=2, commits_page_size=2) as hub:
        hub.create_repo(REPO, files={f"org/m{i}.json": str(i) for i in range(5)})
        api = HfApi(endpoint=hub.url, token=hub.token)
        for i in range(3):
            commit(api, add(f"org/n{i}.json", "x"))
        paths = [e.path for e in api.list_repo_tree(REPO, repo_type="dataset", recursive=True)]
        assert len(paths) == 1 + 1 + 5 + 3  # .gitattributes, org/, 8 files
        assert len(hub.requests("GET", "/tree/")) == 5  # ceil(10 / 2) pages
        assert len(api.list_repo_commits(REPO, repo_type="dataset")) == 5
        assert len(hub.requests("GET", "/commits/")) == 3
        assert not hub.internal_errors


def test_paths_info_refs_whoami_and_expand(hub, api):
    first = commit(api, add("org/a.json", "1"), add("org/b.json", "2"))
    second = commit(api, add("org/b.json", "3"))
    infos = {
        i.path: i
        for i in api.get_paths_info(REPO, ["org", "org/a.json", "missing"], repo_type="dataset")
    }
    assert set(infos) == {"org", "org/a.json"}  # missing paths are left out, not an error
    assert infos["org/a.json"].blob_id == git_hash(b"1")

    expanded = {
        e.path: e for e in api.list_repo_tree(REPO, "org", repo_type="dataset", expand=True)
    }
    assert expanded["org/a.json"].last_commit.oid == first.oid
    assert expanded["org/b.json"].last_commit.oid == second.oid

    [main] = api.list_repo_refs(REPO, repo_type="dataset").branches
    assert (main.name, main.target_commit) == ("main", second.oid)
    assert api.whoami()["auth"]["accessToken"]["role"] == "write"
    assert (
        HfApi(endpoint=hub.url).whoami(token=hub.read_token)["auth"]["accessToken"]["role"]
        == "read"
    )
    assert api.dataset_info(REPO, expand=["sha"]).sha == second.oid


# -- the parent-commit precondition -------------------------------------------------------


def test_stale_parent_commit_is_refused_with_412_and_changes_nothing(hub, api):
    read = commit(api, add("q.json", '{"status": "PENDING"}')).oid
    won = commit(api, add("q.json", '{"status": "RUNNING", "owner": "w1"}'), parent=read).oid

    with pytest.raises(HfHubHTTPError) as error:
        commit(
            api,
            add("q.json", '{"status": "RUNNING", "owner": "w2"}'),
            add("new.json", "{}"),
            parent=read,
        )
    assert error.value.response.status_code == 412
    assert "A commit has happened since. Please refresh and try again." in str(error.value)
    assert not isinstance(error.value, (RepositoryNotFoundError, EntryNotFoundError))
    assert head_sha(api) == won
    assert set(hub.files(REPO)) == {".gitattributes", "q.json"}
    assert b"w1" in hub.files(REPO)["q.json"]

    # The head itself, or its short form, is accepted.
    assert commit(api, add("q.json", "{}"), parent=won[:7]).oid == head_sha(api)


def test_concurrent_claims_on_one_parent_exactly_one_wins(hub, api):
    parent = commit(api, add("q.json", '{"status": "PENDING"}')).oid
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def claim(worker: int) -> None:
        barrier.wait()
        try:
            commit(api, add("q.json", f'{{"status": "RUNNING", "owner": {worker}}}'), parent=parent)
            outcomes.append("won")
        except HfHubHTTPError as error:
            outcomes.append(str(error.response.status_code))

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["412"] * 7 + ["won"]
    assert len(hub.commits(REPO)) == 3


def test_a_commit_that_changes_nothing_skips_the_server_and_its_precondition(hub, api):
    """The client drops additions whose git hash equals the remote file (learned at preupload)
    and, left with nothing to do, returns the current head: no commit, no parent check."""
    stale = commit(api, add("q.json", "same")).oid
    newer = commit(api, add("other.json", "x")).oid
    hub.clear_log()
    result = commit(api, add("q.json", "same"), parent=stale)
    assert result.oid == newer
    assert hub.requests("POST", "/commit/") == []


def test_a_refused_commit_applies_none_of_its_operations(hub, api):
    before = commit(api, add("keep.json", "1")).oid
    with pytest.raises(EntryNotFoundError):
        commit(api, add("new.json", "2"), CommitOperationDelete("missing.json"))
    assert head_sha(api) == before
    assert "new.json" not in hub.files(REPO)


# -- auth and not-found errors --------------------------------------------------------------


def test_tokens_and_visibility(hub, api):
    commit(api, add("q.json", "{}"))
    hub.create_repo("leaderboard/public", files={"r.json": "{}"})

    # An unknown token is refused everywhere, even on a public repo: 401, not "not found".
    for repo in (REPO, "leaderboard/public"):
        with pytest.raises(HfHubHTTPError) as error:
            HfApi(endpoint=hub.url, token="hf_wrong").dataset_info(repo)
        assert error.value.response.status_code == 401
        assert "Invalid credentials in Authorization header" in str(error.value)
        assert not isinstance(error.value, RepositoryNotFoundError)

    # Anonymous: a public repo reads; a private one answers 401 "Invalid username or password."
    # as the Hub does. The client maps that 401 to RepositoryNotFoundError only on https://
    # endpoints (its regex), so on this http:// endpoint it is a plain HfHubHTTPError.
    anonymous = HfApi(endpoint=hub.url, token=False)
    assert anonymous.dataset_info("leaderboard/public").sha
    with pytest.raises(HfHubHTTPError) as error:
        anonymous.dataset_info(REPO)
    assert error.value.response.status_code == 401
    assert error.value.server_message == "Invalid username or password."

    # A read token reads but cannot write: 403 at the first write call (preupload).
    reader = HfApi(endpoint=hub.url, token=hub.read_token)
    assert [e.path for e in reader.list_repo_tree(REPO, repo_type="dataset")] == [
        ".gitattributes",
        "q.json",
    ]
    before = head_sha(api)
    with pytest.raises(HfHubHTTPError) as error:
        reader.create_commit(REPO, [add("x.json", "1")], commit_message="x", repo_type="dataset")
    assert error.value.response.status_code == 403
    assert "you must use a write token" in str(error.value)
    assert head_sha(api) == before
    with pytest.raises(HfHubHTTPError) as error:
        reader.create_repo("leaderboard/other", repo_type="dataset")
    assert error.value.response.status_code == 403


def test_not_found_errors_are_typed(hub, api, cache_dir):
    with pytest.raises(RepositoryNotFoundError) as error:
        api.dataset_info("leaderboard/missing")
    assert error.value.response.headers["X-Error-Code"] == "RepoNotFound"
    with pytest.raises(RepositoryNotFoundError):
        api.dataset_info(REPO.replace("requests", "results"))
    with pytest.raises(RepositoryNotFoundError):  # right name, wrong repo type
        api.model_info(REPO)
    with pytest.raises(RevisionNotFoundError):
        api.dataset_info(REPO, revision="no-such-branch")
    with pytest.raises(RevisionNotFoundError):
        list(api.list_repo_tree(REPO, repo_type="dataset", revision="0" * 40))
    with pytest.raises(EntryNotFoundError):
        list(api.list_repo_tree(REPO, "no/such/folder", repo_type="dataset"))
    with pytest.raises(EntryNotFoundError):
        download(hub, "no-such-file.json", cache_dir)
    with pytest.raises(RepositoryNotFoundError):
        api.create_commit(
            "leaderboard/missing", [add("a", "b")], commit_message="m", repo_type="dataset"
        )


# -- what the client retries, and how failures surface -----------------------------------------


def test_plain_api_calls_do_not_retry(hub, api):
    for status in (429, 500, 503):
        hub.inject("GET", rf"^/api/datasets/{REPO}$", status=status)
        with pytest.raises(HfHubHTTPError) as error:
            api.dataset_info(REPO)
        assert error.value.response.status_code == status
    assert [r.status for r in hub.requests("GET", rf"^/api/datasets/{REPO}$")] == [429, 500, 503]


def test_paginated_listings_retry_429_and_5xx(hub, api):
    hub.inject("GET", "/tree/", status=429, retry_after=0)
    hub.inject("GET", "/commits/", status=502)
    started = time.monotonic()
    assert [e.path for e in api.list_repo_tree(REPO, repo_type="dataset")] == [".gitattributes"]
    assert len(api.list_repo_commits(REPO, repo_type="dataset")) == 1
    assert time.monotonic() - started >= 2  # each retry slept (Retry-After 0 + 1 s; backoff 1 s)
    assert [r.status for r in hub.requests("GET", "/tree/")] == [429, 200]
    assert [r.status for r in hub.requests("GET", "/commits/")] == [502, 200]


def test_dropped_connections_surface_as_httpx2_transport_errors(hub, api):
    hub.inject("GET", rf"^/api/datasets/{REPO}$", drop=True)
    with pytest.raises(httpx2.RemoteProtocolError):
        api.dataset_info(REPO)
    hub.inject("GET", rf"^/api/datasets/{REPO}$", reset=True)
    with pytest.raises(httpx2.ReadError):
        api.dataset_info(REPO)
    assert issubclass(httpx2.RemoteProtocolError, httpx2.TransportError)
    assert issubclass(httpx2.ReadError, httpx2.TransportError)
    # The paginated listings retry them.
    hub.inject("GET", "/tree/", drop=True)
    assert len(list(api.list_repo_tree(REPO, repo_type="dataset"))) == 1
    assert [r.status for r in hub.requests("GET", "/tree/")] == [None, 200]


def test_commit_failures(hub, api):
    before = head_sha(api)

    # The preupload step retries; the commit POST does not.
    hub.inject("POST", "/preupload/", status=503)
    hub.inject("POST", "/commit/", status=500)
    with pytest.raises(HfHubHTTPError) as error:
        commit(api, add("a.json", "1"))
    assert error.value.response.status_code == 500
    assert [r.status for r in hub.requests("POST", "/preupload/")] == [503, 200]
    assert [r.status for r in hub.requests("POST", "/commit/")] == [500]
    assert head_sha(api) == before

    # A connection dropped before the server applied the commit: nothing changed.
    hub.inject("POST", "/commit/", drop=True)
    with pytest.raises(httpx2.RemoteProtocolError):
        commit(api, add("a.json", "1"))
    assert head_sha(api) == before

    # Dropped after applying: the same error, yet the commit landed. Only re-reading tells.
    hub.inject("POST", "/commit/", drop=True, after_apply=True)
    with pytest.raises(httpx2.RemoteProtocolError):
        commit(api, add("a.json", "1"), parent=before)
    assert head_sha(api) != before
    assert hub.files(REPO)["a.json"] == b"1"

    # So is a 500 after applying; a retry with the old parent then gets 412.
    landed = head_sha(api)
    hub.inject("POST", "/commit/", status=500, after_apply=True)
    with pytest.raises(HfHubHTTPError):
        commit(api, add("a.json", "2"), parent=landed)
    with pytest.raises(HfHubHTTPError) as error:
        commit(api, add("a.json", "3"), parent=landed)
    assert error.value.response.status_code == 412


def test_answers_carry_the_request_id_the_log_shows(hub, api):
    """As on the Hub, every answer has an X-Request-Id, which the client quotes in its errors."""
    hub.inject("GET", rf"^/api/datasets/{REPO}$", status=503, retry_after=30)
    with pytest.raises(HfHubHTTPError) as error:
        api.dataset_info(REPO)
    api.dataset_info(REPO)
    failed, answered = hub.requests("GET", rf"^/api/datasets/{REPO}$")
    assert failed.request_id.startswith("Root=") and failed.request_id != answered.request_id
    assert error.value.request_id == failed.request_id and failed.request_id in str(error.value)
    assert error.value.server_message == MSG_SERVER_ERROR
    assert error.value.response.headers["Retry-After"] == "30"  # a 503 with Retry-After

    # Retry-After as an HTTP-date goes out verbatim, without the RateLimit header (seconds).
    date = "Wed, 21 Oct 2015 07:28:00 GMT"
    hub.inject("GET", rf"^/api/datasets/{REPO}$", status=429, retry_after=date)
    with pytest.raises(HfHubHTTPError) as error:
        api.dataset_info(REPO)
    assert error.value.response.headers["Retry-After"] == date
    assert "RateLimit" not in error.value.response.headers
    # A dropped connection has no answer, so no request id.
    hub.inject("GET", rf"^/api/datasets/{REPO}$", drop=True)
    with pytest.raises(httpx2.RemoteProtocolError):
        api.dataset_info(REPO)
    assert hub.requests()[-1].request_id is None


def test_a_race_fault_lets_another_writer_commit_first(hub, api):
    """`race=`: the 412 comes from the real parentCommit check, after a real commit by
    someone else, exactly as when two writers race on the Hub."""
    before = head_sha(api)
    hub.inject("POST", "/commit/", race={"theirs.json": "1"})
    with pytest.raises(HfHubHTTPError) as error:
        commit(api, add("mine.json", "1"), parent=before)
    assert error.value.response.status_code == 412
    assert error.value.server_message == MSG_PARENT_MOVED
    assert "theirs.json" in hub.files(REPO) and "mine.json" not in hub.files(REPO)
    assert hub.commits(REPO)[0].author == "other-writer"
    assert [(r.status, r.fault) for r in hub.requests("POST", "/commit/")] == [(412, "race")]

    # A commit without a parent lands on top of theirs.
    hub.inject("POST", "/commit/", race={"theirs.json": "2"})
    commit(api, add("mine.json", "1"))
    assert hub.files(REPO)["theirs.json"] == b"2" and hub.files(REPO)["mine.json"] == b"1"
    assert [c.author for c in hub.commits(REPO)[:2]] == [hub.user, "other-writer"]
    with pytest.raises(ValueError, match="exactly one"):
        hub.inject("POST", "/commit/", race={"a": "b"}, status=500)


def test_download_failures(hub, api, cache_dir):
    commit(api, add("a.json", "1"), add("b.json", "2"))

    # The file GET retries 429 and resumes after a dropped connection, but raises on 5xx.
    hub.inject("GET", "/resolve/", status=429)
    assert Path(download(hub, "a.json", cache_dir)).read_bytes() == b"1"
    hub.inject("GET", "/resolve/", drop=True)
    assert Path(download(hub, "b.json", cache_dir / "other")).read_bytes() == b"2"
    hub.inject("GET", "/resolve/", status=500)
    with pytest.raises(HfHubHTTPError):
        download(hub, "b.json", cache_dir / "third")

    # A failed HEAD with nothing cached: retried with backoff.
    hub.inject("HEAD", "/resolve/", status=503)
    assert Path(download(hub, "a.json", cache_dir / "fourth")).read_bytes() == b"1"

    # A failed HEAD with a cached copy: the cached copy comes back silently, even if stale.
    commit(api, add("a.json", "changed"))
    hub.clear_log()
    hub.inject("HEAD", "/resolve/", status=500, times=10)
    assert Path(download(hub, "a.json", cache_dir)).read_bytes() == b"1"
    assert len(hub.requests()) == 1
    hub.clear_faults()

    # A dropped HEAD is not caught: it raises even though the file is cached.
    hub.inject("HEAD", "/resolve/", drop=True, times=10)
    with pytest.raises(httpx2.RemoteProtocolError):
        download(hub, "a.json", cache_dir)
    hub.clear_faults()
    with pytest.raises(LocalEntryNotFoundError):  # offline-only read of something never cached
        hf_hub_download(
            REPO,
            "nothing.json",
            repo_type="dataset",
            endpoint=hub.url,
            token=hub.token,
            cache_dir=cache_dir,
            local_files_only=True,
        )


# -- caching: what an unchanged repo costs --------------------------------------------------


def test_hf_hub_download_requests_when_nothing_changed(hub, api, cache_dir):
    first = commit(api, add("a.json", "1"), add("b.json", "2")).oid
    download(hub, "a.json", cache_dir)
    assert [r.method for r in hub.requests(path="/resolve/")] == ["HEAD", "GET"]

    # Same revision name, file unchanged: a HEAD, no GET (the blob is stored under its ETag).
    hub.clear_log()
    download(hub, "a.json", cache_dir)
    commit(api, add("b.json", "changed"))
    download(hub, "a.json", cache_dir)
    assert [r.method for r in hub.requests(path="/resolve/")] == ["HEAD", "HEAD"]

    # A commit sha already cached: no request at all.
    hub.clear_log()
    assert Path(download(hub, "a.json", cache_dir, revision=first)).read_bytes() == b"1"
    assert hub.requests() == []

    # A changed file: HEAD then GET.
    download(hub, "b.json", cache_dir)
    assert [r.method for r in hub.requests(path="/resolve/")] == ["HEAD", "GET"]


def test_snapshot_download_of_an_unchanged_head_costs_one_request(hub, api, tmp_path):
    commit(api, *(add(f"org/m{i}.json", str(i)) for i in range(4)))

    def snapshot() -> Path:
        return Path(
            snapshot_download(
                REPO,
                repo_type="dataset",
                endpoint=hub.url,
                token=hub.token,
                cache_dir=tmp_path / "cache",
            )
        )

    folder = snapshot()
    assert (folder / ".gitattributes").read_bytes() == DEFAULT_GITATTRIBUTES
    assert (folder / "org" / "m3.json").read_text() == "3"
    hub.clear_log()
    assert snapshot() == folder
    assert [(r.method, r.path) for r in hub.requests()] == [
        ("GET", f"/api/datasets/{REPO}/revision/main")
    ]

    # One file changed: info + tree listing + a HEAD per file + one GET for the changed file.
    commit(api, add("org/m0.json", "new"))
    hub.clear_log()
    assert (snapshot() / "org" / "m0.json").read_text() == "new"
    assert len(hub.requests("GET", "/resolve/")) == 1
    assert len(hub.requests("HEAD", "/resolve/")) == 5


def test_hf_file_system_reads_ranges(hub, api):
    """`hf://` paths through fsspec: listings, and reads served as HTTP Range requests (206)."""
    commit(api, add("org/a.json", "0123456789"))
    fs = HfFileSystem(endpoint=hub.url, token=hub.token)
    assert fs.find(f"datasets/{REPO}") == [
        f"datasets/{REPO}/.gitattributes",
        f"datasets/{REPO}/org/a.json",
    ]
    with fs.open(f"datasets/{REPO}/org/a.json", "rb", block_size=4) as file:
        file.seek(3)
        assert file.read(4) == b"3456"
    assert 206 in [r.status for r in hub.requests("GET", "/resolve/")]
