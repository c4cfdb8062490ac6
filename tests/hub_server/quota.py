"""The Hub's commit quota: a repo takes so many commits per window, then its commit endpoint
answers 429 until the window ends, which is what a worker committing one file at a time runs
into on huggingface.co ("You have exceeded our hourly quotas for action: commit").

A fixed window per repo, opened by its first commit after the last window ended; every commit
that lands counts (a refused one, 412 or 429, does not; nor do `create_repo` seeds and `race=`
commits, which do not come through the endpoint). The 429 carries the Hub's message and a
`Retry-After` of the whole seconds left in the window (rounded up, so waiting it out is
enough). Off until a test calls `HubServer.limit_commits`.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .protocol import MSG_COMMIT_QUOTA, HubError

RepoKey = tuple[str, str]  # (repo type, repo id)


@dataclass
class CommitQuota:
    per_window: int
    window_seconds: float
    clock: Callable[[], float] = time.monotonic
    windows: dict[RepoKey, tuple[float, int]] = field(default_factory=dict)  # start, commits

    def seconds_left(self, repo: RepoKey) -> float | None:
        """How long the repo must wait when its window is full, else None."""
        start, count = self._window(repo)
        if count < self.per_window:
            return None
        return start + self.window_seconds - self.clock()

    def count(self, repo: RepoKey) -> None:
        start, count = self._window(repo)
        self.windows[repo] = (start, count + 1)

    def _window(self, repo: RepoKey) -> tuple[float, int]:
        """The repo's current window; a new one (starting now) when the last has ended."""
        now = self.clock()
        start, count = self.windows.get(repo, (now, 0))
        if now >= start + self.window_seconds:
            start, count = now, 0
        self.windows[repo] = (start, count)
        return start, count


class CommitQuotas:
    """The quota of `HubServer` (mixed into the upload endpoints, which own the lock)."""

    _lock: threading.RLock
    _commit_quota: CommitQuota | None = None

    def limit_commits(self, per_window: int | None, window_seconds: float = 3600.0) -> None:
        """From now on, `per_window` commits per repo every `window_seconds` (the Hub's is
        hourly); None or 0 lifts the quota. Commits made before the call do not count."""
        with self._lock:
            self._commit_quota = CommitQuota(per_window, window_seconds) if per_window else None

    def _refuse_over_quota(self, repo: RepoKey) -> None:
        """429 with the Hub's message and `Retry-After` when the repo's window is full.
        Called under the lock, with `_count_commit` once the commit landed."""
        quota = self._commit_quota
        left = quota.seconds_left(repo) if quota is not None else None
        if left is not None:
            retry_after = str(max(1, math.ceil(left)))
            raise HubError(429, MSG_COMMIT_QUOTA, headers={"Retry-After": retry_after})

    def _count_commit(self, repo: RepoKey) -> None:
        if self._commit_quota is not None:
            self._commit_quota.count(repo)
