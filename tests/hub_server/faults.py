"""Test instrumentation: the request log, and faults that tests inject.

`requests()` is the log of (method, path, status, request id) for counting e.g. downloads;
`inject()` makes the next N requests matching (method, path regex) answer 429 (with
Retry-After) or 5xx, drop or reset the connection without a response, optionally after
applying the request (a commit that lands but whose answer is lost), or lose a race: another
writer commits just before the request is handled, so a commit based on the old head gets the
Hub's real 412.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass

from .protocol import MSG_SERVER_ERROR, HubError, Response


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str  # as sent, percent-encoding kept, without the query string
    query: str
    status: int | None  # None: the connection was dropped without a response
    fault: str | None  # what an injected fault did, None for a normal answer
    request_id: str | None = None  # the X-Request-Id answered; None without a response


@dataclass
class Fault:
    method: str  # "*" matches any method
    pattern: re.Pattern[str]  # searched in the request path (percent-encoding kept)
    action: str  # "status", "drop" (close, no response), "reset" (TCP RST) or "race"
    status: int
    remaining: int
    after_apply: bool  # handle the request first (state changes), then misbehave
    retry_after: int | str | None
    delay: float
    race: Mapping[str, bytes] | None = None  # files another writer commits first ("race")

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
        if isinstance(fault.retry_after, int):
            headers["RateLimit"] = f'"api";r=0;t={fault.retry_after}'
        return HubError(429, "Too Many Requests", headers=headers).response()
    if fault.status >= 500:
        retry_after = {"Retry-After": str(fault.retry_after)} if fault.retry_after else {}
        return HubError(fault.status, MSG_SERVER_ERROR, headers=retry_after).response()
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
        race: Mapping[str, bytes | str] | None = None,
        after_apply: bool = False,
        retry_after: int | str | None = 0,
        delay: float = 0.0,
    ) -> None:
        """Make the next `times` requests matching `method` ("*" for any) and the regex `path`
        misbehave: answer `status` (429 carries `Retry-After: retry_after` and, for a number of
        seconds, the Hub's `RateLimit` headers; 5xx the Hub's JSON error, with `Retry-After`
        when `retry_after` is set and not 0; `retry_after` may be an HTTP-date string), or
        `drop` the connection without a response, or `reset` it. `race` (path -> content, on a
        commit path `/api/{type}/{ns}/{name}/commit/{branch}`) makes another writer commit those
        files to the branch just before the request is handled normally: a commit naming the
        old head as its parent is then refused 412 by the real precondition. With `after_apply`
        the request is handled first, so its effect lands (a commit is applied) and only the
        answer is lost or replaced. `delay` sleeps before anything else, to provoke client
        timeouts."""
        if sum((status is not None, drop, reset, race is not None)) != 1:
            raise ValueError("give exactly one of status=, drop=True, reset=True, race=")
        action = (
            "status" if status is not None else "drop" if drop else "reset" if reset else "race"
        )
        files = {p: c.encode() if isinstance(c, str) else c for p, c in (race or {}).items()}
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
                    files if race is not None else None,
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
