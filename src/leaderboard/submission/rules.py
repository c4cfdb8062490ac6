"""The submission rules, as pure functions over the form, the queue and what inspection found.

Each rule returns a `Refusal` (its name and the message the author reads) or None. The
pipeline applies them in the documented order and stops at the first refusal, so an author
always learns the first thing to fix. No rule does I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from leaderboard.domain import EvalRequest, ModelType, Precision, Status, WeightType
from leaderboard.domain.names import REPO_ID_MAX_LENGTH, format_timestamp, repo_id_problem
from leaderboard.errors import quoted
from leaderboard.submission.facts import ModelFacts

# What one weight costs relative to 16 bits: the size limit grows by this factor.
COMPRESSION = {
    Precision.FLOAT16: 1,
    Precision.BFLOAT16: 1,
    Precision.INT8: 2,
    Precision.INT4: 4,
    Precision.GPTQ: 4,
}
SUBMITTABLE_TYPES = tuple(t for t in ModelType if t is not ModelType.UNKNOWN)
NEEDS_BASE = (WeightType.DELTA, WeightType.ADAPTER)
BLOCKING_STATUSES = (Status.PENDING, Status.RUNNING, Status.FINISHED)
REVISION_MAX_LENGTH = 200
_BAD_REVISION = re.compile(r"[\s~^:?*\[\\\x00-\x1f\x7f]|\.\.|@\{|//")


@dataclass(frozen=True)
class Refusal:
    rule: str  # stable name, for tests and logs
    message: str  # for the author: what is wrong and what to do


@dataclass(frozen=True)
class SubmissionForm:
    """What the author sent; the Submit tab, `/submit` and the CLI all fill one.

    The values are as received, not yet checked: through `/submit`, gradio_client can send
    any JSON value (a number, a list, an object, null), so the fields are typed `object` and
    `check_form` checks them first (`check_field_types`). Expected: text (`str`) for every
    field but `use_chat_template`, which is a bool (or the text "true"/"false"); None reads
    as the field's default.
    """

    model: object  # `org/name`
    revision: object = "main"  # branch, tag or commit; None reads as "main"
    precision: object = "float16"
    weight_type: object = "Original"
    base_model: object = ""  # for Delta and Adapter weights only
    model_type: object = ""  # a ModelType, by its short name or its full label
    use_chat_template: object = False  # bool, or "true"/"false" in any case; None is False


@dataclass(frozen=True)
class CheckedForm:
    """A form whose fields are all well-formed."""

    model: str
    revision: str
    precision: Precision
    weight_type: WeightType
    base_model: str
    model_type: ModelType
    use_chat_template: bool

    @property
    def namespace(self) -> str:
        return self.model.split("/", 1)[0]


@dataclass(frozen=True)
class Policy:
    """The operator's settings that the rules apply."""

    require_sign_in: bool = False
    blocked_authors: tuple[str, ...] = ()
    rate_limit: tuple[int, int] | None = (5, 7)  # (requests, days) per namespace
    rate_limit_exempt: tuple[str, ...] = ()
    max_params_b: float = 100.0
    min_card_chars: int = 200


# --- the form ---------------------------------------------------------------------------------

# The text fields, in the order the form lists them: their rule's name, and what None (the
# API's null) reads as.
TEXT_FIELDS = {
    "model": ("model-id", ""),
    "revision": ("revision", "main"),
    "precision": ("precision", ""),
    "weight_type": ("weight-type", ""),
    "base_model": ("base-model", ""),
    "model_type": ("model-type", ""),
}


def _type_name(value: object) -> str:
    return type(value).__name__


def check_sign_in(sender: str | None, policy: Policy) -> Refusal | None:
    if sender is None and policy.require_sign_in:
        return Refusal("sign-in", "Sign in with your Hugging Face account to submit a model.")
    return None


def check_field_types(form: SubmissionForm) -> dict[str, str | bool] | Refusal:
    """The first rule on the form: each field has its type (`SubmissionForm`), None read as
    the field's default. Returns the fields as text (and `use_chat_template` as a bool)."""
    values: dict[str, str | bool] = {}
    for field, (rule, default) in TEXT_FIELDS.items():
        value = getattr(form, field)
        if value is None:
            value = default
        if not isinstance(value, str):
            return Refusal(
                rule, f"The `{field}` field must be text (a string), not {_type_name(value)}."
            )
        values[field] = value
    flag = form.use_chat_template
    if flag is None:
        flag = False
    if isinstance(flag, str) and flag.strip().lower() in ("true", "false"):
        flag = flag.strip().lower() == "true"
    if not isinstance(flag, bool):
        got = quoted(flag) if isinstance(flag, str) else _type_name(flag)
        return Refusal(
            "use-chat-template", f"The `use_chat_template` field must be true or false, not {got}."
        )
    values["use_chat_template"] = flag
    return values


def parse_model_type(raw: str | None) -> ModelType | Refusal:
    text = (raw or "").strip()
    names = ", ".join(t.short for t in SUBMITTABLE_TYPES)
    if not text:
        return Refusal("model-type", f"Choose the model type ({names}).")
    for member in SUBMITTABLE_TYPES:
        if text.lower() in {member.short, member.value.lower()}:
            return member
    return Refusal("model-type", f"Unknown model type {quoted(text)}; choose one of: {names}.")


def model_id_problem(repo_id: str) -> str | None:
    """`repo_id_problem`, with the id quoted by `quoted` (a short, escaped excerpt).

    `repo_id_problem` answers an id over 96 characters by its length alone, so what it quotes
    is at most 96 characters; escapes could still make that several times longer."""
    problem = repo_id_problem(repo_id)
    if problem is None:
        return None
    return problem.replace(repr(repo_id), quoted(repo_id))


def check_form(form: SubmissionForm) -> CheckedForm | Refusal:
    """The fields in the documented order: their types, the model type, the model id, then
    the others. Every field is bounded before anything else reads it, and every message
    quotes what was sent with `quoted`."""
    values = check_field_types(form)
    if isinstance(values, Refusal):
        return values
    text = {field: str(values[field]) for field in TEXT_FIELDS}
    model_type = parse_model_type(text["model_type"])
    if isinstance(model_type, Refusal):
        return model_type
    model = text["model"].strip()
    problem = model_id_problem(model)  # the length first: at most 96 characters
    if problem:
        return Refusal("model-id", problem)
    precision = _precision(text["precision"])
    if precision is None:
        names = ", ".join(p.value for p in Precision.submittable())
        return Refusal(
            "precision", f"Unknown precision {quoted(text['precision'])}; choose one of: {names}."
        )
    weight_type = next(
        (w for w in WeightType if w.value.lower() == _low(text["weight_type"])), None
    )
    if weight_type is None:
        names = ", ".join(w.value for w in WeightType)
        return Refusal(
            "weight-type",
            f"Unknown weight type {quoted(text['weight_type'])}; choose one of: {names}.",
        )
    revision = text["revision"].strip()
    if not revision:
        return Refusal(
            "revision", "Give the revision to evaluate: a branch, tag or commit (`main` if unsure)."
        )
    if len(revision) > REVISION_MAX_LENGTH:
        return Refusal(
            "revision",
            f"The revision {quoted(revision)} is too long: a branch, tag or commit name has at "
            f"most {REVISION_MAX_LENGTH} characters.",
        )
    if (
        _BAD_REVISION.search(revision)
        or revision[0] in "-/."
        or revision.endswith((".", "/", ".lock"))
    ):
        return Refusal("revision", f"{quoted(revision)} is not a valid branch, tag or commit name.")
    base_model = text["base_model"].strip()
    if weight_type in NEEDS_BASE and not base_model:
        return Refusal(
            "base-model",
            f"{weight_type.value} weights need their base model: give it as `org/model`.",
        )
    if weight_type in NEEDS_BASE or len(base_model) > REPO_ID_MAX_LENGTH:  # bounded even unused
        problem = model_id_problem(base_model)
        if problem:
            return Refusal("base-model", f"Base model: {problem}")
    return CheckedForm(
        model=model,
        revision=revision,
        precision=precision,
        weight_type=weight_type,
        base_model=base_model if weight_type in NEEDS_BASE else "",
        model_type=model_type,
        use_chat_template=bool(values["use_chat_template"]),
    )


def _low(text: str | None) -> str:
    return (text or "").strip().lower()


def _precision(raw: str | None) -> Precision | None:
    return next((p for p in Precision.submittable() if p.value.lower() == _low(raw)), None)


# --- the queue ------------------------------------------------------------------------------


def check_blocked(form: CheckedForm, policy: Policy) -> Refusal | None:
    if form.namespace.lower() in {name.lower() for name in policy.blocked_authors}:
        return Refusal(
            "blocked", f"Models from {form.namespace} are not accepted on this leaderboard."
        )
    return None


def rate_limit_applies(form: CheckedForm, policy: Policy) -> bool:
    """Whether the form's namespace is rate limited (a limit is set and it is not exempt)."""
    if policy.rate_limit is None:
        return False
    return form.namespace.lower() not in {name.lower() for name in policy.rate_limit_exempt}


def check_rate_limit(
    form: CheckedForm,
    namespace_requests: Iterable[EvalRequest],
    policy: Policy,
    now: datetime,
    *,
    reserved: Iterable[datetime] = (),
) -> Refusal | None:
    """At most N submissions per namespace in D days: its requests in the queue by their
    `submitted_time`, plus `reserved`, the submissions whose slot is taken in the rate-limit
    ledger but whose request is not in the queue yet (`ledger.py`)."""
    if policy.rate_limit is None or not rate_limit_applies(form, policy):
        return None
    limit, days = policy.rate_limit
    since = now - timedelta(days=days)
    submitted = [r.submitted_time for r in namespace_requests if r.submitted_time is not None]
    recent = sorted(when for when in (*submitted, *reserved) if when > since)
    if len(recent) < limit:
        return None
    again = recent[-limit] + timedelta(days=days)
    return Refusal(
        "rate-limit",
        f"{form.namespace} has submitted {len(recent)} models in the last {days} days, the most "
        f"this leaderboard accepts ({limit}); try again after {format_timestamp(again)}.",
    )


def check_duplicate(
    form: CheckedForm, sha: str, model_requests: Iterable[EvalRequest], target_path: str
) -> Refusal | None:
    """Same model, commit and precision already waiting, running or done; or another commit
    of it still waiting or running in the same queue slot."""
    for request in model_requests:
        if request.model != form.model:
            continue
        same = request.precision is form.precision and request.revision == sha
        if same and request.status in BLOCKING_STATUSES:
            return Refusal(
                "duplicate",
                f"{form.model} at commit {sha[:7]} in {form.precision.value} is already "
                f"{request.status.value.lower()} (submitted "
                f"{format_timestamp(request.submitted_time) or 'earlier'}).",
            )
        busy = (Status.PENDING, Status.RUNNING)
        if request.path == target_path and request.status in busy:
            return Refusal(
                "duplicate",
                f"{form.model} in {form.precision.value} is already "
                f"{request.status.value.lower()} at commit {request.revision[:7]}; wait for that "
                "evaluation to finish before submitting another revision.",
            )
    return None


# --- what inspection found --------------------------------------------------------------------


def total_params_b(form: CheckedForm, facts: ModelFacts, base: ModelFacts | None) -> float | None:
    """The parameters evaluated: an adapter's own plus its base model's."""
    if facts.params_b is None:
        return None
    if form.weight_type is WeightType.ADAPTER and base is not None and base.params_b:
        return facts.params_b + base.params_b
    return facts.params_b


def check_size(form: CheckedForm, facts: ModelFacts, base: ModelFacts | None, policy: Policy):
    """Known from safetensors and within the limit for the precision."""
    params = total_params_b(form, facts, base)
    if params is None:
        return Refusal(
            "size",
            f"The size of {form.model} is unknown: it needs its weights as safetensors files "
            "(convert them with `save_pretrained(..., safe_serialization=True)`).",
        )
    limit = policy.max_params_b * COMPRESSION[form.precision]
    if params > limit:
        return Refusal(
            "size",
            f"{form.model} has {params:.1f}B parameters; in {form.precision.value} this "
            f"leaderboard evaluates models up to {limit:g}B.",
        )
    return None


def check_loads(form: CheckedForm, facts: ModelFacts) -> Refusal | None:
    if form.weight_type is WeightType.ADAPTER:
        if not facts.is_adapter:
            return Refusal(
                "config",
                f"{form.model} has no adapter_config.json; an Adapter submission must be a "
                "PEFT adapter.",
            )
        return None  # its base model's config and tokenizer are checked with the base model
    assert facts.load is not None, "check_loads needs ModelFinder.check_loads first"
    if facts.load.config_error:
        return Refusal(
            "config",
            f"The config of {form.model} does not load with transformers' AutoConfig "
            f"(remote code is never run): {facts.load.config_error}",
        )
    if facts.load.tokenizer_error:
        return Refusal(
            "tokenizer",
            f"The tokenizer of {form.model} does not load with AutoTokenizer (remote code is "
            f"never run): {facts.load.tokenizer_error}",
        )
    return None


def check_license(form: CheckedForm, facts: ModelFacts) -> Refusal | None:
    if not facts.license and facts.card_text is None:
        return Refusal(
            "model-card",
            f"{form.model} has no model card (README.md): add one, with the license in its "
            "metadata, that describes the model, its training data and its intended use.",
        )
    if not facts.license:
        return Refusal(
            "license",
            f"{form.model} has no license: add one to the model card's metadata "
            "(`license: apache-2.0`, for example).",
        )
    return None


def check_card(form: CheckedForm, facts: ModelFacts, policy: Policy) -> Refusal | None:
    if facts.card_text is None:
        return Refusal(
            "model-card",
            f"{form.model} has no model card (README.md): describe the model, its training "
            "data and its intended use.",
        )
    if len(facts.card_text) < policy.min_card_chars:
        return Refusal(
            "model-card",
            f"The model card of {form.model} is {len(facts.card_text)} characters long; write at "
            f"least {policy.min_card_chars} (the model, its training data, its intended use).",
        )
    return None


def check_chat_template(
    form: CheckedForm, facts: ModelFacts, base: ModelFacts | None
) -> Refusal | None:
    if not form.use_chat_template:
        return None
    has_template = bool(facts.load and facts.load.has_chat_template) or (
        form.weight_type is WeightType.ADAPTER
        and base is not None
        and bool(base.load and base.load.has_chat_template)
    )
    if not has_template:
        return Refusal(
            "chat-template",
            f"{form.model} has no chat template in its tokenizer config; add one, or submit "
            "without 'Use chat template'.",
        )
    return None


def check_base_model(form: CheckedForm, base: ModelFacts | str | None) -> Refusal | None:
    """`base` is the base model's facts, or why it could not be found."""
    if form.weight_type not in NEEDS_BASE:
        return None
    if isinstance(base, str) or base is None:
        return Refusal("base-model", f"Base model {form.base_model}: {base or 'not found.'}")
    assert base.load is not None, "check_base_model needs ModelFinder.check_loads first"
    if base.load.config_error or base.load.tokenizer_error:
        error = base.load.config_error or base.load.tokenizer_error
        return Refusal(
            "base-model",
            f"The base model {form.base_model} does not load with transformers (remote code is "
            f"never run): {error}",
        )
    return None
