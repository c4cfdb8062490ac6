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
and retries if the files it guards are still the versions the caller expected, or raises
ConflictError naming those that are not. So a claim is a compare-and-swap across machines.
`write_many` puts many files in one such commit (all or nothing): the Hub meters commits per
repo and hour ("You have exceeded our hourly quotas for action: commit", a 429), so a worker
renews all its leases, or publishes a result's files, in one commit.

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
  every file now holds the bytes it wrote. A 429 of the Hub's commit quota is one of these:
  its `Retry-After` is waited for when short enough, else the error says to try later.
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
from collections.abc import Callable, Mapping, Sequence
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
from leaderboard.stores.base import (
    ANY_VERSION,
    FileWrite,
    StoredFile,
    _AnyVersion,
    check_versions,
    checked_writes,
    safe_relative_path,
)

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
class _Change:
    """One file of a commit: its new bytes (None: deleted) and the version it must have."""

    path: str
    data: bytes | None
    expected_version: str | _AnyVersion | None
    oid: str | None = field(init=False)  # the blob id it will have (None: no file)

    def __post_init__(self) -> None:
        object.__setattr__(self, "oid", None if self.data is None else blob_id(self.data))

    def operation(self) -> CommitOperationAdd | CommitOperationDelete:
        if self.data is None:
            return CommitOperationDelete(path_in_repo=self.path)
        return CommitOperationAdd(path_in_repo=self.path, path_or_fileobj=self.data)


def _describe_paths(changes: Sequence[_Change]) -> str:
    """`org/a.json` for one file, `3 files (org/a.json, ...)` for several: for messages."""
    if len(changes) == 1:
        return changes[0].path
    return f"{len(changes)} files ({changes[0].path}, ...)"


def _default_message(verb: str, changes: Sequence[_Change]) -> str:
    return f"{verb} {changes[0].path}" if len(changes) == 1 else f"{verb} {len(changes)} files"


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
        return self.write_many([FileWrite(path, data, expected_version)], message=message)[0]

    def write_many(self, writes: Sequence[FileWrite], *, message: str = "") -> list[StoredFile]:
        """One commit for all the files: all land or none does, and the Hub's hourly commit
        quota counts it once (a worker renews all its leases, or publishes a result's files,
        in one commit rather than one per file)."""
        writes = checked_writes(writes)
        if not writes:
            return []
        changes = [_Change(w.path, w.data, w.expected_version) for w in writes]
        self._commit(changes, message or _default_message("Update", changes))
        return [StoredFile(change.path, change.oid) for change in changes]

    def delete(self, path: str, *, expected_version: str | _AnyVersion = ANY_VERSION) -> None:
        safe_relative_path(path)
        if self.version(path) is None:
            raise MissingFileError(f"No file {path!r} in {self._location}.")
        self._commit([_Change(path, None, expected_version)], f"Delete {path}")

    def _commit(self, changes: Sequence[_Change], message: str) -> None:
        """One commit of `changes`, guarded by the head it read and by each change's expected
        version: all expected versions hold at the parent the commit names, or ConflictError
        names those that do not and nothing is committed.

        Transient failures are retried within `Retry.attempts`; a 412 (another writer
        committed first) re-reads the repo and checks every expected version again, within
        `Retry.conflicts`. Before a retry, a commit whose answer was lost counts as landed when
        every file already holds what it writes (a deleted file: is absent)."""
        action = f"commit {_describe_paths(changes)} to"
        operations = [change.operation() for change in changes]  # built once: hashed once
        failures = conflicts = 0
        while True:
            head = self._guarded_head(changes, retrying=bool(failures or conflicts))
            if head is None:
                return  # an earlier try landed although its answer was lost
            try:
                info = self.api.create_commit(
                    self.repo_id,
                    repo_type="dataset",
                    operations=operations,
                    commit_message=message,
                    parent_commit=head,
                )
            except HfHubHTTPError as exc:
                if _status(exc) != 412:
                    self._retry_or_raise(action, exc, failures)
                    failures += 1
                    continue
                conflicts += 1
                self._wait_after_lost_race(action, exc, conflicts)
            except (httpx2.TransportError, OSError) as exc:
                self._retry_or_raise(action, exc, failures)
                failures += 1
            else:
                self._record_commit(changes, head, info.oid)
                return

    def _guarded_head(self, changes: Sequence[_Change], *, retrying: bool) -> str | None:
        """The head to commit on once every expected version holds there; None when a retry
        finds the commit already landed. The repo is read again on a retry (the last try may
        have landed, or lost a race), and before refusing: the mirror may be behind the repo,
        and the ConflictError must name every file that changed, as of the repo's head."""
        fresh = retrying  # whether the mirror was just brought to the repo's head
        while True:
            with self._lock:
                if fresh or not self._mirror.head:
                    self.refresh()
                    fresh = True
                current = {change.path: self._mirror.files.get(change.path) for change in changes}
                head = self._mirror.head
            if retrying and all(current[change.path] == change.oid for change in changes):
                return None
            try:
                check_versions(changes, current.__getitem__, self._location)
                return head
            except ConflictError:
                if fresh:
                    raise
                fresh = True

    def _wait_after_lost_race(self, action: str, exc: HfHubHTTPError, conflicts: int) -> None:
        """After the `conflicts`-th 412: not a failure but a lost race, on its own budget; a
        full-jitter delay so that racing writers spread out."""
        if conflicts >= self.retry.conflicts:
            raise self._error(action, exc, conflicts=conflicts) from exc
        delay = self.retry.conflict_delay(conflicts, self._rng)
        log.info(
            "%s moved before we could %s it; re-reading in %.2f s", self._location, action, delay
        )
        self._sleep(delay)

    def _record_commit(self, changes: Sequence[_Change], head: str, new_head: str) -> None:
        """The mirror follows a commit that landed on `head`, without a listing.

        The mirror is shared by the store's threads (a Space's concurrent events), so it only
        ever names versions whose blob is stored: the blobs are stored under the lock, before
        the mirror names them (`refresh` prunes under the same lock), and only once the commit
        landed, so a failed one leaves the mirror as it was."""
        with self._lock:
            for change in changes:
                if change.data is not None:
                    self._store_blob(change.oid, change.data)
            if self._mirror.head != head:
                # Another thread's refresh already took the mirror to our commit or past it:
                # never back (an unneeded blob goes at the next `_prune`).
                return
            for change in changes:
                if change.oid is None:
                    self._mirror.files.pop(change.path, None)
                else:
                    self._mirror.files[change.path] = change.oid
            self._mirror.head = new_head
            self._save_state()

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
