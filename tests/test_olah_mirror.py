"""The Hub read path against `olah`, a real Hub mirror (PyPI) serving a local git repo offline.

The real Hub cannot be reached here. `tests/hub_server/` stands in for it everywhere; this
module checks the same client read calls against a second, independent implementation: olah
0.5.4 in offline mode, serving `<mirrors-path>/datasets/<org>/<name>`, a plain git repository.

Skipped unless olah's `olah-cli` is found (on PATH, or named by OLAH_CLI). Install it in its own
virtual environment: `pip install olah==0.5.4` in the project's environment would downgrade
psutil (to 5.9.8) and upgrade pydantic-settings. For example:
`python -m venv /tmp/olah && /tmp/olah/bin/pip install olah==0.5.4` then
`OLAH_CLI=/tmp/olah/bin/olah-cli python -m pytest tests/test_olah_mirror.py`.

What olah 0.5.4 serves correctly from a local git repo, and what it does not (seen through
huggingface_hub 2.4):
- works: `dataset_info(revision="main" | full or short sha)`, `list_repo_tree` (git blob and
  tree ids), `get_paths_info`, `list_repo_refs`, `hf_hub_download` at a branch or full sha,
  `snapshot_download`; a new git commit is served at once.
- does not: `dataset_info` without a revision (its bare route reads only the cache of an
  upstream Hub: 401 RepoNotFound), `list_repo_commits` (authors lack "user": KeyError in the
  client), `hf_hub_download` at a short sha, and its errors for a missing file or revision are
  401 RepoNotFound instead of 404 EntryNotFound / RevisionNotFound. It accepts no uploads.
So a store that always names the revision it reads can use olah as a read-only mirror.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import httpx2
import pytest
from huggingface_hub import HfApi, hf_hub_download, snapshot_download
from huggingface_hub.utils.sha import git_hash

from hub_server import allow_hub_requests

OLAH_CLI = os.environ.get("OLAH_CLI") or shutil.which("olah-cli")
pytestmark = pytest.mark.skipif(
    not OLAH_CLI or not shutil.which("git"), reason="olah-cli (pip install olah) or git missing"
)

REPO = "leaderboard/requests"
REQUEST = "org/a_eval_request_False_bfloat16_Original.json"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def git(repo: Path, *args: str) -> str:
    identity = {"NAME": "t", "EMAIL": "t@example.org"}
    env = {
        **os.environ,
        **{f"GIT_{who}_{k}": v for who in ("AUTHOR", "COMMITTER") for k, v in identity.items()},
    }
    done = subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True)
    return done.stdout.decode().strip()


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    """(endpoint, git repo folder): olah offline on a free port, mirroring one dataset repo."""
    allow_hub_requests(monkeypatch)
    repo = tmp_path / "mirrors" / "datasets" / REPO
    (repo / "org").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    (repo / REQUEST).write_text('{"model": "org/a", "status": "PENDING"}')
    (repo / "b.json").write_text("{}")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "Add org/a to eval queue")

    port = free_port()
    config = tmp_path / "olah.toml"
    config.write_text(
        f'[basic]\nhost = "127.0.0.1"\nport = {port}\nrepos-path = "{tmp_path / "cache"}"\n'
        f'mirrors-path = ["{tmp_path / "mirrors"}"]\nmirror-netloc = "127.0.0.1:{port}"\n'
        f'mirror-lfs-netloc = "127.0.0.1:{port}"\n\n[accessibility]\noffline = true\n'
    )
    endpoint = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [OLAH_CLI, "-c", str(config)],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx2.get(f"{endpoint}/api/datasets/{REPO}/revision/main").status_code == 200:
                    break
            except httpx2.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"olah did not start on {endpoint}")
            time.sleep(0.2)
        yield endpoint, repo
    finally:
        process.terminate()
        process.wait(timeout=15)


def test_read_path_through_olah(mirror, tmp_path):
    endpoint, repo = mirror
    api = HfApi(endpoint=endpoint, token=False)
    head = git(repo, "rev-parse", "HEAD")
    assert api.dataset_info(REPO, revision="main").sha == head

    tree = {e.path: e for e in api.list_repo_tree(REPO, repo_type="dataset", recursive=True)}
    assert tree[REQUEST].blob_id == git_hash((repo / REQUEST).read_bytes())
    assert {p.path for p in api.get_paths_info(REPO, ["org", "b.json"], repo_type="dataset")} == {
        "org",
        "b.json",
    }

    def read(revision: str | None = None) -> str:
        path = hf_hub_download(
            REPO,
            REQUEST,
            repo_type="dataset",
            revision=revision,
            endpoint=endpoint,
            token=False,
            cache_dir=tmp_path / "hf",
        )
        return Path(path).read_text()

    assert "PENDING" in read()

    # A new commit in the git repo is served at once; the old one stays readable by sha.
    (repo / REQUEST).write_text('{"model": "org/a", "status": "RUNNING"}')
    git(repo, "commit", "-qam", "Claim org/a")
    assert api.dataset_info(REPO, revision="main").sha == git(repo, "rev-parse", "HEAD")
    assert "RUNNING" in read()
    assert "PENDING" in read(revision=head)

    folder = Path(
        snapshot_download(
            REPO, repo_type="dataset", endpoint=endpoint, token=False, cache_dir=tmp_path / "snap"
        )
    )
    assert sorted(p.name for p in folder.rglob("*.json")) == [REQUEST.split("/")[1], "b.json"]


def test_the_hub_store_reads_through_olah(mirror, tmp_path):
    """HubStore's whole read path (head, tree, file downloads, the mirror) against olah."""
    from leaderboard.stores.hub import HubStore

    endpoint, repo = mirror
    store = HubStore(
        f"hf://datasets/{REPO}", endpoint=endpoint, token=None, mirror_dir=tmp_path / "store"
    )
    listed = {f.path: f.version for f in store.list_files()}
    assert listed == {
        "b.json": git_hash(b"{}"),
        REQUEST: git_hash((repo / REQUEST).read_bytes()),
    }
    assert b"PENDING" in store.read(REQUEST)
    (repo / REQUEST).write_text('{"model": "org/a", "status": "FINISHED"}')
    git(repo, "commit", "-qam", "Finished org/a")
    assert store.refresh() is True
    assert b"FINISHED" in store.read(REQUEST)
    assert store.refresh() is False  # the head did not move again
