"""The one submission pipeline behind the Submit tab, the `/submit` endpoint and the CLI.

form -> rules (in the documented order, first refusal wins) -> a slot reserved in the
namespace's rate-limit ledger (`ledger.py`) -> a request file written with a create-only (or
compare-and-swap) write. A refused submission writes nothing. Two identical submissions
racing each other both pass the rules, but only one write can create the file; the other is
answered as a duplicate. Submissions of one namespace racing each other all pass the rate
limit rule, which reads the queue, but only as many as the limit allows get a reservation:
the others are refused by the rate limit, as if they had come later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import orjson

from leaderboard.domain import EvalRequest, Status, WeightType
from leaderboard.domain.names import format_timestamp, request_file_path
from leaderboard.errors import ConflictError, MissingFileError, ParseError, StoreError
from leaderboard.stores import Store, StoredFile
from leaderboard.submission.facts import ModelFacts, ModelLookupError
from leaderboard.submission.ledger import RateLedger
from leaderboard.submission.rules import (
    NEEDS_BASE,
    CheckedForm,
    Policy,
    Refusal,
    SubmissionForm,
    check_base_model,
    check_blocked,
    check_card,
    check_chat_template,
    check_duplicate,
    check_form,
    check_license,
    check_loads,
    check_rate_limit,
    check_sign_in,
    check_size,
    quoted,
    rate_limit_applies,
    total_params_b,
)
from leaderboard.submission.sources import ModelFinder

log = logging.getLogger(__name__)

ANONYMOUS_SENDER = "local"
LOGGED_MESSAGE_LIMIT = 300  # a refusal's message in the log: bounded whatever a rule quotes


@dataclass(frozen=True)
class Accepted:
    request: EvalRequest
    stored: StoredFile  # the request file as written (path and version)

    @property
    def path(self) -> str:
        return self.stored.path

    @property
    def message(self) -> str:
        r = self.request
        return (
            f"{r.model} at commit {r.revision[:7]} ({r.precision.value}, {r.weight_type.value}) "
            "is queued for evaluation; follow it in the Queue tab."
        )


Outcome = Accepted | Refusal


class Submitter:
    def __init__(
        self,
        queue: Store,
        finder: ModelFinder,
        policy: Policy,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        ledger: RateLedger | None = None,
    ):
        self.queue = queue
        self.finder = finder
        self.policy = policy
        self.clock = clock
        self.ledger = ledger or RateLedger(queue)

    def submit(self, form: SubmissionForm, *, sender: str | None) -> Outcome:
        """Validate and enqueue. `sender` is the signed-in user, None when nobody is."""
        outcome = self._submit(form, sender)
        if isinstance(outcome, Refusal):
            log.info(
                "Refused %s (%s): %s",
                _shown(form.model),
                outcome.rule,
                _clipped(outcome.message, LOGGED_MESSAGE_LIMIT),
            )
        else:
            log.info("Queued %s as %s", outcome.request.model, outcome.path)
        return outcome

    def _submit(self, form: SubmissionForm, sender: str | None) -> Outcome:
        refusal = check_sign_in(sender, self.policy)
        if refusal:
            return refusal
        checked = check_form(form)
        if isinstance(checked, Refusal):
            return checked
        now = self.clock()
        refusal = check_blocked(checked, self.policy)
        if refusal:
            return refusal
        limited = rate_limit_applies(checked, self.policy)
        ledger = self.ledger.read(checked.namespace) if limited else None  # before the queue
        namespace_requests = self._requests_below(f"{checked.namespace}/")
        held = self.ledger.held(ledger, namespace_requests, now) if ledger else []
        refusal = check_rate_limit(
            checked, namespace_requests, self.policy, now, reserved=[r.time for r in held]
        )
        if refusal:  # the cheap, early answer; `_enqueue_within_limit` makes it exact
            return refusal
        try:
            located = self.finder.locate(checked.model, checked.revision)
        except ModelLookupError as exc:
            return Refusal("not-found", str(exc))
        target = request_file_path(
            checked.model,
            private=False,
            precision=checked.precision,
            weight_type=checked.weight_type,
        )
        refusal = check_duplicate(checked, located.sha, namespace_requests, target)
        if refusal:
            return refusal
        try:
            facts = self.finder.inspect(located)
        except ModelLookupError as exc:
            return Refusal("not-found", str(exc))
        base = self._base_facts(checked)
        base_facts = base if isinstance(base, ModelFacts) else None
        refusal = check_size(checked, facts, base_facts, self.policy)
        if refusal:
            return refusal
        if checked.weight_type is not WeightType.ADAPTER:  # an adapter loads through its base
            facts = self.finder.check_loads(facts)  # seconds: only for models that got this far
        if base_facts is not None:
            base = base_facts = self.finder.check_loads(base_facts)
        refusal = (
            check_loads(checked, facts)
            or check_license(checked, facts)
            or check_card(checked, facts, self.policy)
            or check_chat_template(checked, facts, base_facts)
            or check_base_model(checked, base)
        )
        if refusal:
            return refusal
        params = total_params_b(checked, facts, base_facts)
        request = self._request(checked, located.sha, sender, facts=facts, params_b=params)
        return self._enqueue_within_limit(checked, request)

    def _enqueue_within_limit(self, checked: CheckedForm, request: EvalRequest) -> Outcome:
        """Reserve a slot in the namespace's ledger, then write the request; give the slot
        back when the request is not written, whatever the reason. The request is stamped
        now, not when the checks began (they can take a while): a reservation must be fresh
        to count for the others, and the request's time is what matches it."""
        now = self.clock()
        submitted = now.replace(microsecond=0)
        request = replace(request, submitted_time=submitted)
        if not rate_limit_applies(checked, self.policy):
            return self._enqueue(request)
        reservation = self.ledger.reserve(
            checked,
            request.path,
            submitted,
            self.policy,
            now,
            lambda: self._requests_below(f"{checked.namespace}/"),
        )
        if isinstance(reservation, Refusal):
            return reservation
        try:
            outcome = self._enqueue(request)
        except BaseException:
            self.ledger.release(checked.namespace, reservation, now)
            raise
        if not isinstance(outcome, Accepted):
            self.ledger.release(checked.namespace, reservation, now)
        return outcome

    def _base_facts(self, checked: CheckedForm) -> ModelFacts | str | None:
        """The base model's facts, or why it cannot be used; None when there is none."""
        if checked.weight_type not in NEEDS_BASE:
            return None
        try:
            return self.finder.inspect(self.finder.locate(checked.base_model, "main"))
        except ModelLookupError as exc:
            return str(exc)

    def _request(
        self,
        checked: CheckedForm,
        sha: str,
        sender: str | None,
        *,
        facts: ModelFacts,
        params_b: float | None,
    ) -> EvalRequest:
        return EvalRequest(
            model=checked.model,
            precision=checked.precision,
            weight_type=checked.weight_type,
            status=Status.PENDING,
            revision=sha,
            base_model=checked.base_model,
            private=False,
            model_type=checked.model_type,
            likes=facts.located.likes,
            params=float(f"{params_b:.4g}") if params_b else None,
            license=facts.license,
            architectures=facts.load.architectures if facts.load else "",
            use_chat_template=checked.use_chat_template,
            sender=sender or ANONYMOUS_SENDER,
            tags=facts.tags,
        )

    def _enqueue(self, request: EvalRequest) -> Outcome:
        """Create the file, or replace a finished/failed request of the same slot, atomically."""
        path = request.path
        data = orjson.dumps(request.to_json(), option=orjson.OPT_INDENT_2)
        try:
            existing, version = self.queue.read_versioned(path)
        except MissingFileError:
            expected: str | None = None
        else:
            expected = version
            previous = _parse(existing, path)
            if previous is not None and previous.status in (Status.PENDING, Status.RUNNING):
                return self._lost_race(request, previous)
        message = f"Add {request.model} to eval queue"
        try:
            stored = self.queue.write(path, data, expected_version=expected, message=message)
        except ConflictError:
            try:
                now_there = _parse(self.queue.read(path), path)
            except MissingFileError:
                now_there = None
            return self._lost_race(request, now_there)
        except StoreError as exc:
            log.error("Could not write %s: %s", path, exc)
            return Refusal("store", "The queue could not be written; try again in a minute.")
        return Accepted(request, stored)

    def _lost_race(self, request: EvalRequest, other: EvalRequest | None) -> Refusal:
        if other is None:
            return Refusal("duplicate", f"{request.model} was submitted at the same time; retry.")
        return Refusal(
            "duplicate",
            f"{request.model} at commit {other.revision[:7]} in {other.precision.value} is "
            f"already {other.status.value.lower()} (submitted "
            f"{format_timestamp(other.submitted_time) or 'earlier'}).",
        )

    def _requests_below(self, prefix: str) -> list[EvalRequest]:
        """The namespace's requests: the rate limit counts them, the duplicate rule reads them."""
        requests = []
        for stored in self.queue.list_files(prefix=prefix):
            try:
                request = _parse(self.queue.read(stored.path), stored.path)
            except MissingFileError:
                continue
            if request is not None:
                requests.append(request)
        return requests


def _parse(data: bytes, path: str) -> EvalRequest | None:
    try:
        return EvalRequest.from_json(orjson.loads(data), path=path)
    except (orjson.JSONDecodeError, ParseError) as exc:
        log.warning("Ignoring unreadable request %s: %s", path, exc)
        return None


def _shown(value: object) -> str:
    """What was sent as the model, for a log line: a bounded quote, or its type if not text."""
    return quoted(value) if isinstance(value, str) else f"<{type(value).__name__}>"


def _clipped(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[: limit - 1]}…"
