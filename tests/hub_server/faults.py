"""Test instrumentation: the request log, and faults that tests inject.

`requests()` is the log of (method, path, status) for counting e.g. downloads; `inject()` makes
the next N requests matching (method, path regex) answer 429 (with Retry-After) or 5xx, drop
or reset the connection without a response, optionally after applying the request (a commit
that lands but whose answer is lost).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from .protocol import MSG_SERVER_ERROR, HubError, Response


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str  # as sent, percent-encoding kept, without the query string
    query: str
    status: int | None  # None: the connection was dropped without a response
    fault: str | None  # what an injected fault did, None for a normal answer


@dataclass
class Fault:
    method: str  # "*" matches any method
    pattern: re.Pattern[str]  # searched in the request path (percent-encoding kept)
    action: str  # "status", "drop" (close, no response) or "reset" (TCP RST)
    status: int
    remaining: int
    after_apply: bool  # handle the request first (state changes), then misbehave
    retry_after: int | None
    delay: float

    def matches(self, method: str, path: str) -> bool:
        return (
            self.remaining > 0 and self.method in ("*", method) and bool(self.pattern.search(path))
        )


def fault_response(fault: Fault) -> Response:
    """The answer of a `status` fault, as the Hub words a 429 or a 5xx."""
    if fault.status == 429:
        headers = {"RateLimit-Policy": '"fixed window";"api";q=500;w=300'}
        if fault.retry_after is not None:
            headers["Retry-After"] = str(fault.retry_after)
            headers["RateLimit"] = f'"api";r=0;t={fault.retry_after}'
        return HubError(429, "Too Many Requests", headers=headers).response()
    if fault.status >= 500:
        return HubError(fault.status, MSG_SERVER_ERROR).response()
    return HubError(fault.status, f"Injected error {fault.status}").response()


class Instrumentation:
    """The log and the faults of a server (mixed into `HubServer`, which owns the lock)."""

    _lock: threading.RLock
    _log: list[RequestRecord]
    _faults: list[Fault]

    def inject(
        self,
        method: str,
        path: str,
        *,
        status: int | None = None,
        drop: bool = False,
        reset: bool = False,
        times: int = 1,
        after_apply: bool = False,
        retry_after: int | None = 0,
        delay: float = 0.0,
    ) -> None:
        """Make the next `times` requests matching `method` ("*" for any) and the regex `path`
        misbehave: answer `status` (429 carries `Retry-After: retry_after` and the Hub's
        `RateLimit` headers; 5xx the Hub's JSON error), or `drop` the connection without a
        response, or `reset` it. With `after_apply` the request is handled first, so its
        effect lands (a commit is applied) and only the answer is lost or replaced. `delay`
        sleeps before anything else, to provoke client timeouts."""
        if sum((status is not None, drop, reset)) != 1:
            raise ValueError("give exactly one of status=, drop=True, reset=True")
        action = "status" if status is not None else "drop" if drop else "reset"
        with self._lock:
            self._faults.append(
                Fault(
                    method.upper(),
                    re.compile(path),
                    action,
                    status or 0,
                    times,
                    after_apply,
                    retry_after,
                    delay,
                )
            )

    def requests(self, method: str | None = None, path: str | None = None) -> list[RequestRecord]:
        """Logged requests, optionally only those of `method` whose path matches regex `path`."""
        with self._lock:
            return [
                record
                for record in self._log
                if (method is None or record.method == method.upper())
                and (path is None or re.search(path, record.path))
            ]

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def pending_faults(self) -> int:
        with self._lock:
            return sum(fault.remaining for fault in self._faults)

    def _take_fault(self, method: str, raw_path: str) -> Fault | None:
        """The first pending fault matching the request, counted as used."""
        with self._lock:
            fault = next((f for f in self._faults if f.matches(method, raw_path)), None)
            if fault is not None:
                fault.remaining -= 1
            return fault

    def _record(self, record: RequestRecord) -> None:
        with self._lock:
            self._log.append(record)
