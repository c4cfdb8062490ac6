"""A store in a Hugging Face dataset repo (`hf://datasets/<org>/<name>`), through
`huggingface_hub`'s public API, so a Space and any number of GPU workers share one queue and
one results set, as the Open LLM Leaderboard does.

Reads keep a local mirror: `list_files` asks for the repo's head (one request) and, only when
it moved, lists the tree and downloads the files whose blob id changed. A file's version is
its git blob id. `read` returns the content as of the last listing (`version` looks again).

Writes are commits that name the head they were based on (`parent_commit`). When another
writer committed in between, the Hub refuses the commit (412); the store re-reads the repo,
and retries if the file it guards is still the version the caller expected, or raises
ConflictError if it is not. So a claim is a compare-and-swap across machines.

Transient failures (429, 5xx, a dropped connection) are retried with capped, jittered
backoff, here and nowhere else. A commit whose answer was lost may have landed: before
retrying, the store checks whether the file now holds the bytes it wrote. Errors that a
retry cannot fix (401, 403, 404) say what to check; none ever shows the token.
"""

from __future__ import annotations

import hashlib
import logging
import os
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import httpx2  # huggingface_hub's HTTP client: its transport errors are not OSErrors
import orjson
from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi, hf_hub_url
from huggingface_hub.errors import (
    HfHubHTTPError,
    OfflineModeIsEnabled,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)
from huggingface_hub.hf_api import RepoFile
from huggingface_hub.utils import build_hf_headers, get_session, hf_raise_for_status

from leaderboard.errors import ConfigError, ConflictError, MissingFileError, StoreError
from leaderboard.stores.base import ANY_VERSION, StoredFile, _AnyVersion, safe_relative_path

log = logging.getLogger(__name__)

_LOCATION = re.compile(r"^hf://datasets/([A-Za-z0-9][\w.-]*/[\w.-]*[A-Za-z0-9])/?$")
RETRIED_STATUSES = {408, 429, 500, 502, 503, 504}
T = TypeVar("T")


def parse_location(location: str) -> str:
    """`hf://datasets/org/name` -> `org/name`; ConfigError naming the expected form."""
    match = _LOCATION.match(location.strip())
    if not match:
        raise ConfigError(
            f"{location!r} is not a Hub store: write `hf://datasets/<org>/<name>` (a dataset "
            "repo; model and Space repos cannot hold the queue or the results)."
        )
    return match.group(1)


def blob_id(data: bytes) -> str:
    """The git blob sha the Hub reports as a file's id."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@dataclass
class _Mirror:
    head: str = ""
    files: dict[str, str] = field(default_factory=dict)  # path -> blob id


@dataclass(frozen=True)
class Retry:
    """Bounded, jittered exponential backoff for transient failures."""

    attempts: int = 5
    base_seconds: float = 0.5
    cap_seconds: float = 8.0

    def delay(self, attempt: int) -> float:
        return min(self.cap_seconds, self.base_seconds * 2**attempt) * random.uniform(0.5, 1.0)


class HubStore:
    def __init__(
        self,
        location: str,
        *,
        endpoint: str,
        token: str | None,
        mirror_dir: str | Path,
        retry: Retry = Retry(),
    ):
        self.repo_id = parse_location(location)
        self._location = f"hf://datasets/{self.repo_id}"
        self.endpoint = endpoint.rstrip("/")
        self._token = token or False  # False: never fall back to a token found on disk
        self.retry = retry
        self.mirror_dir = Path(mirror_dir)
        self.blobs = self.mirror_dir / "blobs"
        self.blobs.mkdir(parents=True, exist_ok=True)
        self.api = HfApi(endpoint=self.endpoint, token=self._token)
        self._mirror = self._load_state()
        self._lock = threading.RLock()

    @property
    def location(self) -> str:
        return self._location

    def __repr__(self) -> str:  # never shows the token
        return f"HubStore({self._location!r}, endpoint={self.endpoint!r})"

    def __reduce__(self):
        return (
            _reopen,
            (self._location, self.endpoint, self._token or None, str(self.mirror_dir), self.retry),
        )

    # -- reading -----------------------------------------------------------------------------

    def refresh(self) -> bool:
        """Bring the mirror to the repo's head; True when it moved. One request when not."""
        with self._lock:
            head = self._call("read the head of", lambda: self._head())
            if head == self._mirror.head:
                return False
            entries = self._call(
                "list",
                lambda: list(
                    self.api.list_repo_tree(
                        self.repo_id, repo_type="dataset", revision=head, recursive=True
                    )
                ),
            )
            files = {
                entry.path: entry.blob_id
                for entry in entries
                if isinstance(entry, RepoFile) and _visible(entry.path)
            }
            for path, oid in files.items():
                if not (self.blobs / oid).exists():
                    self._store_blob(oid, self._download(path, head))
            self._mirror = _Mirror(head, files)
            self._save_state()
            self._prune(set(files.values()))
            log.info("Mirrored %s at %s (%d files)", self._location, head[:7], len(files))
            return True

    def list_files(self, suffix: str = ".json", *, prefix: str = "") -> list[StoredFile]:
        self.refresh()
        below = prefix.strip("/")
        start = f"{below}/" if below else ""
        with self._lock:
            return [
                StoredFile(path, oid)
                for path, oid in sorted(self._mirror.files.items())
                if path.endswith(suffix) and path.startswith(start)
            ]

    def read_versioned(self, path: str) -> tuple[bytes, str]:
        safe_relative_path(path)
        with self._lock:
            oid = self._mirror.files.get(path)
        if oid is None:  # not seen yet: look at the repo once
            self.refresh()
        with self._lock:
            oid = self._mirror.files.get(path)
            if oid is None:
                raise MissingFileError(f"No file {path!r} in {self._location}.")
            return (self.blobs / oid).read_bytes(), oid  # under the lock: refresh prunes blobs

    def read(self, path: str) -> bytes:
        return self.read_versioned(path)[0]

    def version(self, path: str) -> str | None:
        """The file's version at the repo's current head (looks at the Hub)."""
        safe_relative_path(path)
        self.refresh()
        with self._lock:
            return self._mirror.files.get(path)

    # -- writing -----------------------------------------------------------------------------

    def write(
        self,
        path: str,
        data: bytes,
        *,
        expected_version: str | _AnyVersion | None = ANY_VERSION,
        message: str = "",
    ) -> StoredFile:
        safe_relative_path(path)
        oid = blob_id(data)
        operation = CommitOperationAdd(path_in_repo=path, path_or_fileobj=data)
        self._commit(path, operation, oid, expected_version, message or f"Update {path}")
        self._store_blob(oid, data)
        return StoredFile(path, oid)

    def delete(self, path: str, *, expected_version: str | _AnyVersion = ANY_VERSION) -> None:
        safe_relative_path(path)
        if self.version(path) is None:
            raise MissingFileError(f"No file {path!r} in {self._location}.")
        operation = CommitOperationDelete(path_in_repo=path)
        self._commit(path, operation, None, expected_version, f"Delete {path}")

    def _commit(self, path, operation, new_oid, expected, message) -> None:
        """One commit guarded by the head it read and by `expected` (the file's version)."""
        for attempt in range(self.retry.attempts):
            with self._lock:
                if attempt or not self._mirror.head:
                    self.refresh()
                current = self._mirror.files.get(path)
                head = self._mirror.head
            if attempt and current == new_oid:
                return  # an earlier try landed although its answer was lost
            if expected is not ANY_VERSION and current != expected:
                state = "exists already" if expected is None else "has changed"
                raise ConflictError(f"{path!r} {state} in {self._location}.")
            try:
                info = self.api.create_commit(
                    self.repo_id,
                    repo_type="dataset",
                    operations=[operation],
                    commit_message=message,
                    parent_commit=head,
                )
            except HfHubHTTPError as exc:
                status = _status(exc)
                if status == 412:  # someone committed since we read the head: look again
                    log.info("%s moved while committing %s; re-reading", self._location, path)
                    continue
                if status in RETRIED_STATUSES:
                    self._wait(attempt, f"commit {path}", exc)
                    continue
                raise self._error("commit to", exc) from None
            except (httpx2.TransportError, OSError) as exc:
                if isinstance(exc, OfflineModeIsEnabled):
                    raise self._error("commit to", exc) from None
                self._wait(attempt, f"commit {path}", exc)
                continue
            with self._lock:  # our commit is the new head: the mirror follows without a listing
                if new_oid is None:
                    self._mirror.files.pop(path, None)
                else:
                    self._mirror.files[path] = new_oid
                self._mirror.head = info.oid
                self._save_state()
            return
        raise StoreError(
            f"Could not commit {path!r} to {self._location} after {self.retry.attempts} "
            "tries (the Hub kept failing or other writers kept committing); try again later."
        )

    # -- plumbing ----------------------------------------------------------------------------

    def _head(self) -> str:
        return self.api.dataset_info(self.repo_id, revision="main").sha or ""

    def _download(self, path: str, revision: str) -> bytes:
        url = hf_hub_url(
            self.repo_id, path, repo_type="dataset", revision=revision, endpoint=self.endpoint
        )

        def get() -> bytes:
            response = get_session().get(url, headers=build_hf_headers(token=self._token))
            hf_raise_for_status(response)
            return response.content

        return self._call(f"download {path} from", get)

    def _call(self, action: str, call: Callable[[], T]) -> T:
        """Run a read; retry transient failures within the bound; explain the others."""
        for attempt in range(self.retry.attempts):
            try:
                return call()
            except HfHubHTTPError as exc:
                if _status(exc) not in RETRIED_STATUSES or attempt == self.retry.attempts - 1:
                    raise self._error(action, exc) from None
                self._wait(attempt, action, exc)
            except (httpx2.TransportError, OSError) as exc:
                if isinstance(exc, OfflineModeIsEnabled) or attempt == self.retry.attempts - 1:
                    raise self._error(action, exc) from None
                self._wait(attempt, action, exc)
        raise AssertionError("unreachable")

    def _wait(self, attempt: int, action: str, exc: BaseException) -> None:
        delay = self.retry.delay(attempt)
        log.warning(
            "%s: %s failed (%s); retrying in %.1f s",
            self._location,
            action,
            _describe(exc),
            delay,
        )
        time.sleep(delay)

    def _error(self, action: str, exc: BaseException) -> StoreError:
        status = _status(exc) if isinstance(exc, HfHubHTTPError) else None
        where = f"{self._location} at {self.endpoint}"
        if isinstance(exc, RepositoryNotFoundError) or status == 404:
            if isinstance(exc, RevisionNotFoundError):
                hint = "its `main` branch does not exist"
            else:
                hint = "check the name, that it is a dataset repo (not a model), and that it exists"
            return StoreError(f"Could not {action} {where}: {hint}.")
        if status == 401:
            return StoreError(
                f"Could not {action} {where}: the Hub refused the token (HTTP 401). Set HF_TOKEN "
                "to a valid token with access to this dataset."
            )
        if status == 403:
            return StoreError(
                f"Could not {action} {where}: the token may not do this (HTTP 403). Give HF_TOKEN "
                "write access to the dataset (a fine-grained token needs 'write' on this repo)."
            )
        if isinstance(exc, OfflineModeIsEnabled):
            return StoreError(f"Could not {action} {where}: HF_HUB_OFFLINE is set.")
        return StoreError(f"Could not {action} {where}: {_describe(exc)}; try again later.")

    def _store_blob(self, oid: str, data: bytes) -> None:
        target = self.blobs / oid
        if not target.exists():
            temporary = target.with_name(f".{oid}.{threading.get_ident()}.tmp")
            temporary.write_bytes(data)
            temporary.replace(target)

    def _prune(self, keep: set[str]) -> None:
        """Drop blobs no file points at any more (old versions of changed files)."""
        for blob in self.blobs.iterdir():
            if blob.name not in keep and not blob.name.startswith("."):
                blob.unlink(missing_ok=True)

    def _load_state(self) -> _Mirror:
        try:
            state = orjson.loads((self.mirror_dir / "state.json").read_bytes())
            stored = set(os.listdir(self.blobs))  # one listing, not a stat per file
            files = {p: o for p, o in state["files"].items() if o in stored}
            head = state["head"] if len(files) == len(state["files"]) else ""
            return _Mirror(head, files)
        except (OSError, orjson.JSONDecodeError, KeyError, AttributeError):
            return _Mirror()

    def _save_state(self) -> None:
        state = {"head": self._mirror.head, "files": self._mirror.files}
        temporary = self.mirror_dir / f".state.{threading.get_ident()}.tmp"
        temporary.write_bytes(orjson.dumps(state))
        temporary.replace(self.mirror_dir / "state.json")


def _visible(path: str) -> bool:
    """Files of ours: not `.gitattributes` or anything else hidden."""
    return not any(part.startswith(".") for part in path.split("/"))


def _status(exc: HfHubHTTPError) -> int | None:
    return exc.response.status_code if exc.response is not None else None


def _describe(exc: BaseException) -> str:
    if isinstance(exc, HfHubHTTPError):
        return f"HTTP {_status(exc)}"
    return type(exc).__name__


def _reopen(location, endpoint, token, mirror_dir, retry) -> HubStore:
    return HubStore(location, endpoint=endpoint, token=token, mirror_dir=mirror_dir, retry=retry)
