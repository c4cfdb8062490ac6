"""The rate limit's ledger: one small file per namespace in the queue store that makes the
limit atomic.

Counting a namespace's requests and then writing one is a read followed by a write:
submissions racing each other all count the same queue and all pass. So, once a submission
has passed every rule, it *reserves* its slot in `<namespace>/rate-limit.ledger` with the
compare-and-swap write every store offers (LocalStore: a version check under its file lock;
HubStore: a commit naming the parent it read), and only then writes its request:

1. read the ledger and its version, then list the namespace's requests (in that order: a
   request missing from the listing was written after it, so its reservation is either in
   the ledger as read or was added later, which makes step 3 fail);
2. count the requests inside the window and the reservations still held; refuse when full;
3. write the ledger back with the new reservation, expecting the version read; on a
   conflict another submission won this round: pause (bounded, jittered) and start again.

A reservation is held until its request is in the queue (from then on the request counts
itself, by its `submitted_time`, as it always did) and for at most `HOLD` after it was made.
A submission whose request is not written (the write failed, or lost a race to an identical
submission) releases its reservation with a second compare-and-swap; one that died between
the two writes (a crash, a lost connection) frees its slot when the hold runs out. So no
slot is lost for longer than the hold, and both files are only ever replaced whole (both
stores write atomically). Every write drops what no longer counts, so the ledger holds at
most N reservations, and carries a fresh nonce, so its content (a Hub file's version is the
hash of its content) never comes back to an earlier one.

The file ends in `.ledger`, not `.json`: the table loader, the worker and the Queue tab list
`.json` files only, so none of them reads it as a request or lists it as unreadable.
"""

from __future__ import annotations

import logging
import random
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import orjson

from leaderboard.domain import EvalRequest
from leaderboard.domain.names import format_timestamp, parse_timestamp
from leaderboard.errors import ConflictError, MissingFileError, StoreError
from leaderboard.stores import Store
from leaderboard.submission.rules import CheckedForm, Policy, Refusal, check_rate_limit

log = logging.getLogger(__name__)

LEDGER_NAME = "rate-limit.ledger"
HOLD = timedelta(minutes=10)  # far longer than a request write takes, retries included
LEDGER_MAX_BYTES = 1 << 20  # a bigger ledger is not ours (it holds at most N reservations)
QUEUE_UNWRITABLE = "The queue could not be written; try again in a minute."
QUEUE_BUSY = "Too many submissions are being made at this moment; try again in a minute."


@dataclass(frozen=True)
class Reservation:
    id: str
    request: str  # the request file's path
    time: datetime  # the request's `submitted_time`


@dataclass(frozen=True)
class Ledger:
    path: str
    reservations: tuple[Reservation, ...]
    version: str | None  # None: there is no ledger file yet


def ledger_path(namespace: str) -> str:
    return f"{namespace}/{LEDGER_NAME}"


class RateLedger:
    def __init__(
        self,
        store: Store,
        *,
        hold: timedelta = HOLD,
        attempts: int = 32,
        pause_seconds: tuple[float, float] = (0.01, 0.5),  # the first pause, the longest
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.store = store
        self.hold = hold
        self.attempts = attempts
        self.pause_seconds = pause_seconds
        self.sleep = sleep

    def read(self, namespace: str) -> Ledger:
        """The namespace's ledger and its version; an unreadable one reads as empty (it is
        replaced, by compare-and-swap, at the next reservation)."""
        path = ledger_path(namespace)
        try:
            data, version = self.store.read_versioned(path)
        except MissingFileError:
            return Ledger(path, (), None)
        return Ledger(path, _parse(data, path), version)

    def held(
        self, ledger: Ledger, requests: Iterable[EvalRequest], now: datetime
    ) -> list[Reservation]:
        """The reservations that still take a slot: made less than the hold ago, and whose
        request is not in `requests` yet (once it is, the request counts itself)."""
        landed = {(r.path, r.submitted_time) for r in requests}
        return [
            r
            for r in ledger.reservations
            if abs(now - r.time) < self.hold and (r.request, r.time) not in landed
        ]

    def reserve(
        self,
        form: CheckedForm,
        request_path: str,
        submitted: datetime,
        policy: Policy,
        now: datetime,
        requests: Callable[[], list[EvalRequest]],
    ) -> Reservation | Refusal:
        """Take a slot for the request at `request_path`, atomically, or refuse as the rate
        limit rule does. `requests` lists the namespace's requests as they are now."""
        store_errors = 0
        for attempt in range(self.attempts):
            ledger = self.read(form.namespace)
            current = requests()  # after the ledger: see step 1 in the module's docstring
            held = self.held(ledger, current, now)
            refusal = check_rate_limit(form, current, policy, now, reserved=[r.time for r in held])
            if refusal:
                return refusal
            mine = Reservation(secrets.token_hex(8), request_path, submitted)
            try:
                self._write(ledger, [*held, mine], f"Reserve a submission of {form.namespace}")
            except ConflictError:
                self._pause(attempt)
                continue
            except StoreError as exc:  # the Hub kept failing, or kept moving under us
                store_errors += 1
                if store_errors >= 3:
                    log.error("Could not write %s: %s", ledger.path, exc)
                    return Refusal("store", QUEUE_UNWRITABLE)
                self._pause(attempt)
                continue
            return mine
        log.warning(
            "Gave up reserving in %s after %d tries", ledger_path(form.namespace), self.attempts
        )
        return Refusal("store", QUEUE_BUSY)

    def release(self, namespace: str, reservation: Reservation, now: datetime) -> None:
        """Give the slot back (its request was not written). When that fails too, the
        reservation still stops counting once the hold runs out."""
        reason = "other submissions kept writing it"
        for attempt in range(self.attempts):
            ledger = self.read(namespace)
            if all(r.id != reservation.id for r in ledger.reservations):
                return
            kept = [
                r
                for r in ledger.reservations
                if r.id != reservation.id and abs(now - r.time) < self.hold
            ]
            try:
                self._write(ledger, kept, f"Release a submission of {namespace}")
                return
            except ConflictError:
                self._pause(attempt)
            except StoreError as exc:
                reason = str(exc)
                break
        log.warning(
            "Could not release a reservation in %s (%s); it expires by itself at %s",
            ledger_path(namespace),
            reason,
            format_timestamp(reservation.time + self.hold),
        )

    def _write(self, ledger: Ledger, reservations: list[Reservation], message: str) -> None:
        document = {
            "write": secrets.token_hex(8),  # never the same content twice: see the docstring
            "reservations": [
                {"id": r.id, "request": r.request, "time": format_timestamp(r.time)}
                for r in reservations
            ],
        }
        data = orjson.dumps(document, option=orjson.OPT_INDENT_2)
        self.store.write(ledger.path, data, expected_version=ledger.version, message=message)

    def _pause(self, attempt: int) -> None:
        first, longest = self.pause_seconds
        self.sleep(random.uniform(0, min(longest, first * 2**attempt)))


def _parse(data: bytes, path: str) -> tuple[Reservation, ...]:
    """The reservations of a ledger file; entries that are not well-formed are skipped."""
    try:
        if len(data) > LEDGER_MAX_BYTES:
            raise ValueError(f"{len(data):,} bytes")
        document = orjson.loads(data)
        entries = document["reservations"]
        if not isinstance(entries, list):
            raise TypeError("`reservations` is not a list")
    except (orjson.JSONDecodeError, ValueError, TypeError, KeyError) as exc:
        log.warning("Ignoring the unreadable rate-limit ledger %s: %s", path, exc)
        return ()
    found = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        ident, request = entry.get("id"), entry.get("request")
        when = parse_timestamp(entry.get("time")) if isinstance(entry.get("time"), str) else None
        if isinstance(ident, str) and isinstance(request, str) and when is not None:
            found.append(Reservation(ident, request, when))
    return tuple(found)
