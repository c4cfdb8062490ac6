"""A store in a Hugging Face dataset repo (`hf://datasets/<org>/<name>`), through
`huggingface_hub`'s public API, so a Space and any number of GPU workers share one queue and
one results set, as the Open LLM Leaderboard does.

Reads keep a local mirror: `list_files` asks for the repo's head (one request) and, only when
it moved, lists the tree and downloads the files whose blob id changed. A file's version is
its git blob id. `read` returns the content as of the last listing (`version` looks again).
One store may serve many threads (a Space's concurrent events): its mirror only ever names
versions whose blob is stored, and never goes back to an older head.

Writes are commits that name the head they were based on (`parent_commit`). When another
writer committed in between, the Hub refuses the commit (412); the store re-reads the repo,
and retries if the file it guards is still the version the caller expected, or raises
ConflictError if it is not. So a claim is a compare-and-swap across machines.

Retries live here, in one policy that builds on what `huggingface_hub` does by itself:

- The library already retries the paginated tree listing and the preupload step of a commit
  (`http_backoff`: 408/429/5xx and dropped connections, up to 5 retries, honouring a 429's
  `Retry-After` in seconds). The store never retries on top of that: an error from those
  requests (told by the request's URL) is final here.
- Every other call (the head, file downloads, the commit POST) is retried by the store on
  408/429/5xx and dropped connections, with capped, jittered backoff (`Retry.attempts`). A
  `Retry-After` (seconds or an HTTP-date) on a 429 or 503 is waited for instead of the
  backoff; one longer than `Retry.max_retry_after_seconds` stops with an error that says so.
  A commit whose answer was lost may have landed: before retrying, the store checks whether
  the file now holds the bytes it wrote.
- A 412 is not a failure but a lost race: another writer committed since the head was read.
  It has its own budget (`Retry.conflicts`) and a full-jitter delay, so racing writers spread
  out; the store re-reads the repo, re-checks the expected version, and commits again.

Errors keep the Hub's message and request id (quoted in the StoreError, the Hub's exception
chained as its cause) and say what to check for those a retry cannot fix (401, 403, 404);
none ever shows or logs the token.
"""

from __future__ import annotations

import hashlib
import logging
import os
import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import parsedate_to_datetime
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
# What counts as transient: the statuses and transport errors `huggingface_hub.utils.http_backoff`
# retries by default, so that both layers agree on what a retry can fix.
RETRIED_STATUSES = {408, 429, 500, 502, 503, 504}
RETRIED_TRANSPORT_ERRORS = (
    httpx2.TimeoutException,
    httpx2.NetworkError,
    httpx2.RemoteProtocolError,
    OSError,  # a socket error that reached us unwrapped
)
RETRY_AFTER_STATUSES = {429, 503}
# Requests the library sends through `http_backoff` (it has retried them already): the paginated
# tree listing and the preupload step of `create_commit`.
_LIBRARY_RETRIED = re.compile(r"^/api/(?:models|datasets|spaces)/[^/]+/[^/]+/(?:tree|preupload)/")
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
    """The retry policy of a Hub store: two budgets, because they answer different events.

    `attempts` bounds the tries of one call against transient failures (429, 5xx, a dropped
    connection), waiting a capped, jittered exponential backoff or the server's `Retry-After`
    (at most `max_retry_after_seconds`). `conflicts` bounds the commits of one write that lose
    a race (412: another writer committed first), each after a full-jitter delay between 0 and
    `min(conflict_cap_seconds, conflict_base_seconds * 2**n)`.
    """

    attempts: int = 5
    base_seconds: float = 0.5
    cap_seconds: float = 8.0
    max_retry_after_seconds: float = 60.0
    conflicts: int = 8
    conflict_base_seconds: float = 0.05
    conflict_cap_seconds: float = 1.0

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        uniform = (rng or random).uniform
        return min(self.cap_seconds, self.base_seconds * 2**attempt) * uniform(0.5, 1.0)

    def conflict_delay(self, conflict: int, rng: random.Random | None = None) -> float:
        ceiling = min(self.conflict_cap_seconds, self.conflict_base_seconds * 2**conflict)
        return (rng or random).uniform(0.0, ceiling)


class HubStore:
    def __init__(
        self,
        location: str,
        *,
        endpoint: str,
        token: str | None,
        mirror_dir: str | Path,
        retry: Retry = Retry(),
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ):
        """`sleep`, `clock` (for a `Retry-After` date) and `rng` (jitter) are for tests."""
        self.repo_id = parse_location(location)
        self._location = f"hf://datasets/{self.repo_id}"
        self.endpoint = endpoint.rstrip("/")
        self._token = token or False  # False: never fall back to a token found on disk
        self.retry = retry
        self._sleep, self._clock, self._rng = sleep, clock, rng
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
        operation = CommitOperationAdd(path_in_repo=path, path_or_fileobj=data)
        oid = self._commit(path, operation, data, expected_version, message or f"Update {path}")
        return StoredFile(path, oid)

    def delete(self, path: str, *, expected_version: str | _AnyVersion = ANY_VERSION) -> None:
        safe_relative_path(path)
        if self.version(path) is None:
            raise MissingFileError(f"No file {path!r} in {self._location}.")
        operation = CommitOperationDelete(path_in_repo=path)
        self._commit(path, operation, None, expected_version, f"Delete {path}")

    def _commit(self, path, operation, data: bytes | None, expected, message) -> str | None:
        """One commit guarded by the head it read and by `expected` (the file's version) that
        writes `data` to `path` (None: deletes it); returns the file's new version.

        The mirror is shared by the store's threads (a Space's concurrent events), so it only
        ever names versions whose blob is stored: the blob is stored under the lock, just
        before the mirror names it (`refresh` prunes under the same lock), and only once the
        commit landed, so a failed one leaves the mirror as it was."""
        action = f"commit {path} to"
        new_oid = None if data is None else blob_id(data)
        failures = conflicts = 0
        while True:
            retrying = bool(failures or conflicts)
            with self._lock:
                if retrying or not self._mirror.head:
                    self.refresh()
                current = self._mirror.files.get(path)
                head = self._mirror.head
            if retrying and current == new_oid:
                return new_oid  # an earlier try landed although its answer was lost
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
                if _status(exc) != 412:
                    self._retry_or_raise(action, exc, failures)
                    failures += 1
                    continue
                # Another writer committed since we read the head: not a failure, a lost race.
                conflicts += 1
                if conflicts >= self.retry.conflicts:
                    raise self._error(action, exc, conflicts=conflicts) from exc
                delay = self.retry.conflict_delay(conflicts, self._rng)
                log.info(
                    "%s moved while committing %s; re-reading in %.2f s",
                    self._location,
                    path,
                    delay,
                )
                self._sleep(delay)
            except (httpx2.TransportError, OSError) as exc:
                self._retry_or_raise(action, exc, failures)
                failures += 1
            else:
                with self._lock:
                    if data is not None:
                        self._store_blob(new_oid, data)  # before the mirror can name it
                    if self._mirror.head == head:
                        # Our commit is the new head: the mirror follows, no listing.
                        if new_oid is None:
                            self._mirror.files.pop(path, None)
                        else:
                            self._mirror.files[path] = new_oid
                        self._mirror.head = info.oid
                        self._save_state()
                    # Else another thread's refresh already took the mirror to our commit or
                    # past it: never back (an unneeded blob goes at the next `_prune`).
                return new_oid

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
        """Run a read; retry transient failures within the policy; explain the others."""
        attempt = 0
        while True:
            try:
                return call()
            except (HfHubHTTPError, httpx2.TransportError, OSError) as exc:
                self._retry_or_raise(action, exc, attempt)
                attempt += 1

    def _retry_or_raise(self, action: str, exc: BaseException, attempt: int) -> None:
        """After the `attempt`-th failure (0 first) of a call: wait and return when the policy
        retries it, else raise the StoreError that explains it (the Hub's error as its cause)."""
        if isinstance(exc, StoreError):
            raise exc
        if not _transient(exc):
            raise self._error(action, exc) from exc
        if _retried_by_library(exc):
            # huggingface_hub has already retried this request with its own backoff.
            raise self._error(action, exc, retried=True) from exc
        if attempt + 1 >= self.retry.attempts:
            raise self._error(action, exc, retried=attempt > 0) from exc
        wait = self._retry_after(exc)
        if wait is not None and wait > self.retry.max_retry_after_seconds:
            raise self._error(action, exc, retry_after=wait) from exc
        delay = self.retry.delay(attempt, self._rng) if wait is None else wait
        log.warning(
            "%s: %s failed (%s); retrying in %.1f s%s",
            self._location,
            action,
            _describe(exc),
            delay,
            " as the Hub asked (Retry-After)" if wait is not None else "",
        )
        self._sleep(delay)

    def _retry_after(self, exc: BaseException) -> float | None:
        """Seconds a 429/503 asks us to wait (`Retry-After`: seconds or an HTTP-date)."""
        if not isinstance(exc, HfHubHTTPError) or _status(exc) not in RETRY_AFTER_STATUSES:
            return None
        return parse_retry_after(exc.response.headers, self._clock())

    def _error(
        self,
        action: str,
        exc: BaseException,
        *,
        retried: bool = False,
        retry_after: float | None = None,
        conflicts: int = 0,
    ) -> StoreError:
        """What went wrong, what to check, and what the Hub said (its message and request id,
        by which the Hub's staff can find the request); the token is never part of it."""
        status = _status(exc) if isinstance(exc, HfHubHTTPError) else None
        where = f"{self._location} at {self.endpoint}"
        if isinstance(exc, RepositoryNotFoundError) or status == 404:
            if isinstance(exc, RevisionNotFoundError):
                hint = "its `main` branch does not exist"
            else:
                hint = "check the name, that it is a dataset repo (not a model), and that it exists"
        elif status == 401:
            hint = (
                "the Hub refused the token. Set HF_TOKEN to a valid token with access to this "
                "dataset"
            )
        elif status == 403:
            hint = (
                "the token may not do this. Give HF_TOKEN write access to the dataset (a "
                "fine-grained token needs 'write' on this repo)"
            )
        elif isinstance(exc, OfflineModeIsEnabled):
            hint = "HF_HUB_OFFLINE is set"
        elif conflicts:
            hint = f"other writers committed first {conflicts} times in a row; try again later"
        elif retry_after is not None:
            hint = f"the Hub asks to wait {retry_after:.0f} s before retrying; try again later"
        elif retried:
            hint = "the Hub kept failing; try again later"
        elif _transient(exc):
            hint = "try again later"
        else:
            hint = "the Hub refused the request" if status else "the Hub could not be reached"
        message = f"Could not {action} {where}: {hint}. [{_describe(exc, detailed=True)}]"
        return StoreError(self._redact(message))

    def _redact(self, text: str) -> str:
        """The token out of a text that quotes the Hub (which should never echo it)."""
        return text.replace(self._token, "***") if self._token else text

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


def _transient(exc: BaseException) -> bool:
    """A failure a retry may fix: 408/429/5xx, or a connection that timed out or dropped."""
    if isinstance(exc, HfHubHTTPError):
        return _status(exc) in RETRIED_STATUSES
    if isinstance(exc, OfflineModeIsEnabled | StoreError):
        return False
    return isinstance(exc, RETRIED_TRANSPORT_ERRORS)


def _retried_by_library(exc: BaseException) -> bool:
    """Whether the failed request went through huggingface_hub's own `http_backoff`."""
    try:
        if isinstance(exc, HfHubHTTPError):
            request = exc.response.request if exc.response is not None else None
        else:
            request = exc.request if isinstance(exc, httpx2.RequestError) else None
    except RuntimeError:  # httpx raises when no request was attached
        return False
    return request is not None and bool(_LIBRARY_RETRIED.match(request.url.path))


def parse_retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """`Retry-After` as seconds from `now` (a Unix time): delay-seconds or an HTTP-date; None
    when absent or unreadable. A date in the past is 0."""
    value = (headers.get("Retry-After") or "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, moment.timestamp() - now)


def _describe(exc: BaseException, *, detailed: bool = False) -> str:
    """`HTTP 503, request id Root=...` (with the Hub's message when `detailed`), or the
    transport error's name and text."""
    if isinstance(exc, HfHubHTTPError):
        parts = [f"HTTP {_status(exc)}"]
        if detailed and exc.server_message:
            said = " ".join(exc.server_message.split())
            parts.append(f"the Hub said: {said[:500]!r}")
        if exc.request_id:
            parts.append(f"request id {exc.request_id}")
        return ", ".join(parts)
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:300]}" if detailed and text else type(exc).__name__


def _reopen(location, endpoint, token, mirror_dir, retry) -> HubStore:
    return HubStore(location, endpoint=endpoint, token=token, mirror_dir=mirror_dir, retry=retry)
