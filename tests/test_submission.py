"""The submission pipeline on real local models (built offline), a real LocalStore queue, and
real child processes that load configs and tokenizers with transformers.

Every refusal has its own exact message and leaves the queue byte-for-byte unchanged; good
submissions write one well-formed request file; racing submissions never lose or duplicate
a request.
"""

from __future__ import annotations

import json
import shutil
import struct
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from leaderboard.demo_model import build_tiny_model
from leaderboard.domain import EvalRequest, ModelType, Precision, Status, WeightType
from leaderboard.stores import LocalStore
from leaderboard.submission import (
    Accepted,
    LocalModelSource,
    ModelFinder,
    Policy,
    Refusal,
    SubmissionForm,
    Submitter,
)
from leaderboard.submission.rules import quoted

NOW = datetime(2026, 11, 20, 12, 0, 0, tzinfo=UTC)
POLICY = Policy(
    require_sign_in=False, blocked_authors=("banned-org",), rate_limit=(5, 7), max_params_b=100
)


def write_safetensors_header(path: Path, tensors: dict[str, tuple[str, list[int]]]) -> None:
    """A safetensors file's header only: enough for the size rule, which never reads weights."""
    header, offset = {}, 0
    for name, (dtype, shape) in tensors.items():
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset]}
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw)


def rewrite_json(path: Path, **changes) -> None:
    data = json.loads(path.read_text())
    data.update(changes)
    path.write_text(json.dumps(data))


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> Path:
    """A local model folder with one good model and one variant per way to be refused."""
    root = tmp_path_factory.mktemp("models")
    good = build_tiny_model(root / "tiny-org" / "good")

    def variant(name: str, **options) -> Path:
        if options:
            return build_tiny_model(root / "tiny-org" / name, **options)
        target = root / "tiny-org" / name
        shutil.copytree(good, target)
        return target

    variant("no-license", license=None)
    variant("no-card", model_card=False)
    variant("short-card", card_text="A tiny model.")
    variant("no-template", chat_template=False)
    remote = variant("remote-code")
    rewrite_json(
        remote / "config.json",
        model_type="totally-custom",
        auto_map={"AutoConfig": "modeling_custom.CustomConfig"},
    )
    broken = variant("bad-tokenizer")
    (broken / "tokenizer.json").write_text("{ not json")
    (variant("no-safetensors") / "model.safetensors").unlink()
    huge = variant("huge")  # 120B parameters claimed by its header: too large in 16 bits
    write_safetensors_header(huge / "model.safetensors", {"w": ("F16", [120_000, 1_000_000])})
    adapter = root / "tiny-org" / "adapter"
    adapter.mkdir()
    shutil.copy(good / "README.md", adapter / "README.md")
    (adapter / "adapter_config.json").write_text(
        json.dumps({"peft_type": "LORA", "base_model_name_or_path": "tiny-org/good", "r": 4})
    )
    write_safetensors_header(adapter / "adapter_model.safetensors", {"a": ("F32", [96, 4])})
    for org in ("banned-org", "busy-org"):
        shutil.copytree(good, root / org / "model")
    return root


@pytest.fixture(scope="module")
def finder(models) -> ModelFinder:
    """One finder for the module: its caches make repeated inspections free, as in the app."""
    return ModelFinder(local=LocalModelSource(models), hub=None)


def sha_of(models: Path, name: str) -> str:
    return LocalModelSource(models).content_sha(models / name)


def queued(model: str, **fields) -> EvalRequest:
    defaults = dict(
        model=model,
        precision=Precision.FLOAT16,
        weight_type=WeightType.ORIGINAL,
        status=Status.FINISHED,
        revision="0" * 40,
        submitted_time=NOW - timedelta(days=30),
        model_type=ModelType.CHAT,
        sender="someone",
    )
    return EvalRequest(**{**defaults, **fields})


@pytest.fixture
def queue(tmp_path, models) -> LocalStore:
    """A queue holding: five recent requests of busy-org, a FINISHED evaluation of
    tiny-org/good in float16 at its current commit, and a PENDING one of tiny-org/no-template
    in bfloat16 at another commit."""
    store = LocalStore(tmp_path / "queue")
    requests = [
        queued(f"busy-org/model-{i}", submitted_time=NOW - timedelta(days=i + 1)) for i in range(5)
    ]
    requests.append(queued("tiny-org/good", revision=sha_of(models, "tiny-org/good")))
    requests.append(
        queued(
            "tiny-org/no-template",
            precision=Precision.BFLOAT16,
            status=Status.PENDING,
            revision="1234567" + "0" * 33,
        )
    )
    for request in requests:
        store.write(request.path, json.dumps(request.to_json()).encode())
    return store


def submitter(queue, finder, policy: Policy = POLICY) -> Submitter:
    return Submitter(queue, finder, policy, clock=lambda: NOW)


def snapshot(store: LocalStore) -> dict[str, bytes]:
    return {f.path: store.read(f.path) for f in store.list_files(suffix="")}


def form(model: str = "tiny-org/good", **fields) -> SubmissionForm:
    return SubmissionForm(model=model, **{"model_type": "chat", "precision": "bfloat16", **fields})


LOOKS_WRONG = (
    "may only use letters, digits, `-`, `_` and `.`, and no part may start or end with `-` or `.`."
)
BAD_SUBMISSIONS = [
    # (case id, form, sender, policy changes, exact message)
    (
        "not signed in",
        form(),
        None,
        {"require_sign_in": True},
        "Sign in with your Hugging Face account to submit a model.",
    ),
    (
        "no model type",
        form(model_type=""),
        "me",
        {},
        "Choose the model type (pretrained, continuously-pretrained, fine-tuned, chat, merge, "
        "multimodal).",
    ),
    (
        "unknown model type",
        form(model_type="llama"),
        "me",
        {},
        "Unknown model type 'llama'; choose one of: pretrained, continuously-pretrained, "
        "fine-tuned, chat, merge, multimodal.",
    ),
    ("empty id", form(""), "me", {}, "The model id is empty; write it as `org/model`."),
    (
        "one part",
        form("a"),
        "me",
        {},
        "The model id 'a' must have exactly one `/`, as in `org/model`.",
    ),
    (
        "three parts",
        form("org/model/extra"),
        "me",
        {},
        "The model id 'org/model/extra' must have exactly one `/`, as in `org/model`.",
    ),
    (
        "path traversal",
        form("../../etc/passwd"),
        "me",
        {},
        "The model id '../../etc/passwd' must have exactly one `/`, as in `org/model`.",
    ),
    (
        "dot dot",
        form("../passwd"),
        "me",
        {},
        "The model id '../passwd' must not contain `..` or `--`.",
    ),
    (
        "double dash",
        form("org--x/model"),
        "me",
        {},
        "The model id 'org--x/model' must not contain `..` or `--`.",
    ),
    (
        "too long",
        form("org/" + "m" * 196),
        "me",
        {},
        "The model id is 200 characters long; the Hub allows at most 96.",
    ),
    (
        "unicode look-alike",
        form("tiny-org/gооd"),  # Cyrillic о
        "me",
        {},
        f"The model id 'tiny-org/gооd' {LOOKS_WRONG}",
    ),
    (
        "shell metacharacters",
        form("tiny-org/good;rm"),
        "me",
        {},
        f"The model id 'tiny-org/good;rm' {LOOKS_WRONG}",
    ),
    (
        "command substitution",
        form("tiny-org/$(id)"),
        "me",
        {},
        f"The model id 'tiny-org/$(id)' {LOOKS_WRONG}",
    ),
    (
        "html in the name",
        form("<img src=x onerror=alert(1)>/x"),
        "me",
        {},
        f"The model id '<img src=x onerror=alert(1)>/x' {LOOKS_WRONG}",
    ),
    ("leading dash", form("-org/model"), "me", {}, f"The model id '-org/model' {LOOKS_WRONG}"),
    ("trailing dot", form("org/model."), "me", {}, f"The model id 'org/model.' {LOOKS_WRONG}"),
    (
        "space inside",
        form("tiny org/good"),
        "me",
        {},
        f"The model id 'tiny org/good' {LOOKS_WRONG}",
    ),
    (
        "unknown precision",
        form(precision="float64"),
        "me",
        {},
        "Unknown precision 'float64'; choose one of: float16, bfloat16, 8bit, 4bit, GPTQ.",
    ),
    (
        "float32 is not submittable",
        form(precision="float32"),
        "me",
        {},
        "Unknown precision 'float32'; choose one of: float16, bfloat16, 8bit, 4bit, GPTQ.",
    ),
    (
        "unknown weight type",
        form(weight_type="Merged"),
        "me",
        {},
        "Unknown weight type 'Merged'; choose one of: Original, Delta, Adapter.",
    ),
    (
        "empty revision",
        form(revision="  "),
        "me",
        {},
        "Give the revision to evaluate: a branch, tag or commit (`main` if unsure).",
    ),
    (
        "revision with a space",
        form(revision="main branch"),
        "me",
        {},
        "'main branch' is not a valid branch, tag or commit name.",
    ),
    (
        "revision climbing out",
        form(revision="../../x"),
        "me",
        {},
        "'../../x' is not a valid branch, tag or commit name.",
    ),
    (
        "adapter without base",
        form("tiny-org/adapter", weight_type="Adapter"),
        "me",
        {},
        "Adapter weights need their base model: give it as `org/model`.",
    ),
    (
        "delta with a malformed base",
        form(weight_type="Delta", base_model="not a model"),
        "me",
        {},
        "Base model: The model id 'not a model' must have exactly one `/`, as in `org/model`.",
    ),
    (
        "blocked author",
        form("banned-org/model"),
        "me",
        {},
        "Models from banned-org are not accepted on this leaderboard.",
    ),
    (
        "rate limit",
        form("busy-org/model"),
        "me",
        {},
        "busy-org has submitted 5 models in the last 7 days, the most this leaderboard accepts "
        "(5); try again after 2026-11-22T12:00:00Z.",
    ),
    (
        "not found",
        form("tiny-org/missing"),
        "me",
        {},
        "tiny-org/missing is not in the local model folder, and this leaderboard does not look "
        "models up on the Hub.",
    ),
    (
        "unknown revision",
        form(revision="v2.0"),
        "me",
        {},
        "The local model tiny-org/good has no revision 'v2.0': a local folder has one revision, "
        "`main` (commit {good_sha7}).",
    ),
    (
        "duplicate of a finished evaluation",
        form(precision="float16"),
        "me",
        {},
        "tiny-org/good at commit {good_sha7} in float16 is already finished "
        "(submitted 2026-10-21T12:00:00Z).",
    ),
    (
        "another revision still pending",
        form("tiny-org/no-template"),
        "me",
        {},
        "tiny-org/no-template in bfloat16 is already pending at commit 1234567; wait for that "
        "evaluation to finish before submitting another revision.",
    ),
    (
        "no safetensors",
        form("tiny-org/no-safetensors"),
        "me",
        {},
        "The size of tiny-org/no-safetensors is unknown: it needs its weights as safetensors "
        "files (convert them with `save_pretrained(..., safe_serialization=True)`).",
    ),
    (
        "too large in 16 bits",
        form("tiny-org/huge"),
        "me",
        {},
        "tiny-org/huge has 120.0B parameters; in bfloat16 this leaderboard evaluates models up "
        "to 100B.",
    ),
    (
        "too large in 8 bits for a smaller limit",
        form("tiny-org/huge", precision="8bit"),
        "me",
        {"max_params_b": 50},
        "tiny-org/huge has 120.0B parameters; in 8bit this leaderboard evaluates models up to "
        "100B.",
    ),
    (
        "config needs remote code",
        form("tiny-org/remote-code"),
        "me",
        {},
        "The config of tiny-org/remote-code does not load with transformers' AutoConfig "
        "(remote code is never run): {remote_error}",
    ),
    (
        "broken tokenizer",
        form("tiny-org/bad-tokenizer"),
        "me",
        {},
        "The tokenizer of tiny-org/bad-tokenizer does not load with AutoTokenizer (remote code "
        "is never run): {tokenizer_error}",
    ),
    (
        "no license",
        form("tiny-org/no-license"),
        "me",
        {},
        "tiny-org/no-license has no license: add one to the model card's metadata "
        "(`license: apache-2.0`, for example).",
    ),
    (
        "no model card",
        form("tiny-org/no-card"),
        "me",
        {},
        "tiny-org/no-card has no model card (README.md): add one, with the license in its "
        "metadata, that describes the model, its training data and its intended use.",
    ),
    (
        "short model card",
        form("tiny-org/short-card"),
        "me",
        {},
        "The model card of tiny-org/short-card is 27 characters long; write at least 200 (the "
        "model, its training data, its intended use).",
    ),
    (
        "chat template requested but missing",
        form("tiny-org/no-template", precision="float16", use_chat_template=True),
        "me",
        {},
        "tiny-org/no-template has no chat template in its tokenizer config; add one, or submit "
        "without 'Use chat template'.",
    ),
    (
        "adapter without adapter_config.json",
        form(weight_type="Adapter", base_model="tiny-org/no-template"),
        "me",
        {},
        "tiny-org/good has no adapter_config.json; an Adapter submission must be a PEFT adapter.",
    ),
    (
        "adapter whose base does not exist",
        form("tiny-org/adapter", weight_type="Adapter", base_model="tiny-org/missing"),
        "me",
        {},
        "Base model tiny-org/missing: tiny-org/missing is not in the local model folder, and "
        "this leaderboard does not look models up on the Hub.",
    ),
    (
        "delta whose base needs remote code",
        form(weight_type="Delta", base_model="tiny-org/remote-code"),
        "me",
        {},
        "The base model tiny-org/remote-code does not load with transformers (remote code is "
        "never run): {remote_error}",
    ),
]


@pytest.mark.parametrize(
    ("bad", "sender", "policy_changes", "message"),
    [case[1:] for case in BAD_SUBMISSIONS],
    ids=[case[0] for case in BAD_SUBMISSIONS],
)
def test_every_rule_refuses_with_its_own_message_and_writes_nothing(
    queue, finder, models, bad, sender, policy_changes, message
):
    before = snapshot(queue)
    outcome = submitter(queue, finder, replace(POLICY, **policy_changes)).submit(bad, sender=sender)
    assert isinstance(outcome, Refusal), outcome
    load_errors = {
        "remote_error": _load_error(finder, models, "tiny-org/remote-code", "config_error"),
        "tokenizer_error": _load_error(finder, models, "tiny-org/bad-tokenizer", "tokenizer_error"),
        "good_sha7": sha_of(models, "tiny-org/good")[:7],
    }
    assert outcome.message == message.format(**load_errors)
    assert snapshot(queue) == before


def _load_error(finder: ModelFinder, models: Path, name: str, field: str) -> str:
    facts = finder.check_loads(finder.inspect(finder.locate(name, "main")))
    return getattr(facts.load, field)


def test_load_errors_name_the_cause(finder):
    remote = finder.check_loads(finder.inspect(finder.locate("tiny-org/remote-code", "main")))
    assert "contains custom code" in remote.load.config_error
    assert "tiny-org/remote-code" in remote.load.config_error
    assert str(remote.folder) not in remote.load.config_error  # no server paths in messages
    broken = finder.check_loads(finder.inspect(finder.locate("tiny-org/bad-tokenizer", "main")))
    assert broken.load.tokenizer_error and not broken.load.config_error


def test_there_are_at_least_30_bad_submissions():
    assert len(BAD_SUBMISSIONS) >= 30


def test_a_good_submission_writes_one_pinned_request(queue, finder, models):
    before = snapshot(queue)
    outcome = submitter(queue, finder).submit(
        form(
            precision="bfloat16",
            use_chat_template=True,
            model_type="🔶 fine-tuned on domain-specific datasets",
        ),
        sender="alice",
    )
    assert isinstance(outcome, Accepted), outcome
    sha = sha_of(models, "tiny-org/good")
    assert outcome.path == "tiny-org/good_eval_request_False_bfloat16_Original.json"
    assert outcome.message == (
        f"tiny-org/good at commit {sha[:7]} (bfloat16, Original) is queued for evaluation; "
        "follow it in the Queue tab."
    )
    after = snapshot(queue)
    # The request, and the namespace's rate-limit ledger that reserved its slot on the way.
    assert set(after) - set(before) == {outcome.path, "tiny-org/rate-limit.ledger"}
    assert all(after[path] == data for path, data in before.items())
    (reservation,) = json.loads(after["tiny-org/rate-limit.ledger"])["reservations"]
    assert reservation["request"] == outcome.path
    assert reservation["time"] == "2026-11-20T12:00:00Z"
    written = json.loads(after[outcome.path])
    assert written == {
        "model": "tiny-org/good",
        "base_model": "",
        "revision": sha,
        "private": False,
        "precision": "bfloat16",
        "weight_type": "Original",
        "status": "PENDING",
        "submitted_time": "2026-11-20T12:00:00Z",
        "model_type": "🔶 fine-tuned on domain-specific datasets",
        "likes": 0,
        "params": written["params"],
        "license": "apache-2.0",
        "architectures": "LlamaForCausalLM",
        "use_chat_template": True,
        "sender": "alice",
        "job_id": -1,
        "job_start_time": None,
        "tags": ["tiny", "random-weights", "leaderboard-test"],
    }
    assert 0.0001 < written["params"] < 0.01  # a few hundred thousand parameters
    assert EvalRequest.from_json(written).status is Status.PENDING


def test_anonymous_submissions_are_sent_by_local(queue, finder):
    outcome = submitter(queue, finder).submit(form(precision="4bit"), sender=None)
    assert isinstance(outcome, Accepted), outcome
    assert outcome.request.sender == "local"


def test_size_limits_scale_with_compression(queue, finder):
    """120B is too large in 16 bits (100B) but fits in 4 bits (400B)."""
    outcome = submitter(queue, finder).submit(form("tiny-org/huge", precision="4bit"), sender="me")
    assert isinstance(outcome, Accepted), outcome
    assert outcome.request.params == 120.0


def test_an_adapter_counts_its_base_models_size(queue, finder, models):
    outcome = submitter(queue, finder).submit(
        form("tiny-org/adapter", weight_type="Adapter", base_model="tiny-org/good"), sender="me"
    )
    assert isinstance(outcome, Accepted), outcome
    base = finder.inspect(finder.locate("tiny-org/good", "main"))
    assert outcome.request.params == pytest.approx(base.params_b + 96 * 4 / 1e9, rel=1e-3)
    assert outcome.request.base_model == "tiny-org/good"


def test_a_failed_request_can_be_submitted_again(queue, finder, models):
    sha = sha_of(models, "tiny-org/good")
    failed = queued(
        "tiny-org/good", precision=Precision.BFLOAT16, status=Status.FAILED, revision=sha
    )
    queue.write(failed.path, json.dumps(failed.to_json()).encode())
    outcome = submitter(queue, finder).submit(form(), sender="me")
    assert isinstance(outcome, Accepted), outcome
    assert json.loads(queue.read(failed.path))["status"] == "PENDING"


def test_a_new_revision_replaces_a_finished_request_of_the_same_slot(queue, finder, models):
    """tiny-org/good float16 FINISHED at the current commit blocks; at an old commit it doesn't."""
    old = queued("tiny-org/good", revision="f" * 40)
    queue.write(old.path, json.dumps(old.to_json()).encode())
    outcome = submitter(queue, finder).submit(form(precision="float16"), sender="me")
    assert isinstance(outcome, Accepted), outcome
    assert json.loads(queue.read(old.path))["revision"] == sha_of(models, "tiny-org/good")


def test_rate_limit_counts_only_the_window_and_spares_exempt_namespaces(queue, finder):
    later = Submitter(queue, finder, POLICY, clock=lambda: NOW + timedelta(days=5))
    assert isinstance(later.submit(form("busy-org/model"), sender="me"), Accepted)
    exempt = replace(POLICY, rate_limit_exempt=("busy-org",))
    other_precision = form("busy-org/model", precision="float16")
    assert isinstance(
        submitter(queue, finder, exempt).submit(other_precision, sender="me"), Accepted
    )


def test_a_corrupt_request_in_the_queue_does_not_block_submissions(queue, finder, caplog):
    (
        Path(queue.location) / "tiny-org" / "junk_eval_request_False_float16_Original.json"
    ).write_text("{ not json")
    outcome = submitter(queue, finder).submit(form(), sender="me")
    assert isinstance(outcome, Accepted), outcome
    assert "Ignoring unreadable request" in caplog.text


def test_100_distinct_submissions_from_20_threads_all_land(tmp_path, finder, models):
    """Each model id is a link to the good model, so the (cached) load check runs once."""
    for i in range(100):
        link = models / f"crowd-{i % 10}" / f"model-{i:03d}"
        link.parent.mkdir(exist_ok=True)
        if not link.exists():
            link.symlink_to(models / "tiny-org" / "good", target_is_directory=True)
    store = LocalStore(tmp_path / "queue")
    pipeline = submitter(store, finder, replace(POLICY, rate_limit=None))
    outcomes: list = []
    lock = threading.Lock()

    def work(indices):
        for i in indices:
            outcome = pipeline.submit(form(f"crowd-{i % 10}/model-{i:03d}"), sender=f"user{i}")
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=work, args=(range(t, 100, 20),)) for t in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(isinstance(o, Accepted) for o in outcomes), [
        o for o in outcomes if isinstance(o, Refusal)
    ]
    files = store.list_files()
    assert len(files) == 100
    models_written = {json.loads(store.read(f.path))["model"] for f in files}
    assert models_written == {f"crowd-{i % 10}/model-{i:03d}" for i in range(100)}


def test_20_identical_submissions_at_once_make_exactly_one_file(tmp_path, finder):
    store = LocalStore(tmp_path / "queue")
    pipeline = submitter(store, finder)
    barrier = threading.Barrier(20)
    outcomes: list = []
    lock = threading.Lock()

    def work():
        barrier.wait()
        outcome = pipeline.submit(form(), sender="me")
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=work) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    accepted = [o for o in outcomes if isinstance(o, Accepted)]
    refused = [o for o in outcomes if isinstance(o, Refusal)]
    assert len(accepted) == 1 and len(refused) == 19
    assert {r.rule for r in refused} == {"duplicate"}
    assert all("is already pending" in r.message for r in refused)
    assert [f.path for f in store.list_files()] == [accepted[0].path]
    assert json.loads(store.read(accepted[0].path))["status"] == "PENDING"


# --- what arrives through `/submit`: any JSON value, of any size ---------------------------

MEGABYTE = 1024 * 1024
CHAT_TEMPLATE_FLAGS = [
    # (what was sent as use_chat_template, what the request file says)
    ("false", False),
    ("FALSE", False),
    (" False\n", False),
    ("true", True),
    ("TRUE ", True),
    (False, False),
    (True, True),
    (None, False),  # null: the field's default
]


@pytest.mark.parametrize(
    ("sent", "stored"), CHAT_TEMPLATE_FLAGS, ids=[repr(sent) for sent, _ in CHAT_TEMPLATE_FLAGS]
)
def test_use_chat_template_is_a_real_bool(queue, finder, sent, stored):
    outcome = submitter(queue, finder).submit(form(use_chat_template=sent), sender="me")
    assert isinstance(outcome, Accepted), outcome
    assert outcome.request.use_chat_template is stored
    assert json.loads(queue.read(outcome.path))["use_chat_template"] is stored


BAD_VALUES = [
    # (case id, form fields, rule, exact message)
    *(
        (
            f"use_chat_template={sent!r}",
            {"use_chat_template": sent},
            "use-chat-template",
            f"The `use_chat_template` field must be true or false, not {shown}.",
        )
        for sent, shown in [
            ("yes please", "'yes please'"),
            ("", "''"),
            ("1", "'1'"),
            (1.5, "float"),
            (1, "int"),
            (0, "int"),
            ([], "list"),
            ({}, "dict"),
            ([True], "list"),
        ]
    ),
    *(
        (
            f"{field}={sent!r}",
            {field: sent},
            rule,
            f"The `{field}` field must be text (a string), not {type(sent).__name__}.",
        )
        for field, rule, sent in [
            ("model", "model-id", 5),
            ("model", "model-id", ["tiny-org/good"]),
            ("model", "model-id", {"id": "tiny-org/good"}),
            ("model", "model-id", True),
            ("revision", "revision", 5),
            ("revision", "revision", 1.5),
            ("revision", "revision", []),
            ("revision", "revision", {}),
            ("revision", "revision", False),
            ("precision", "precision", 16),
            ("weight_type", "weight-type", ["Original"]),
            ("base_model", "base-model", {}),
            ("model_type", "model-type", 1),
        ]
    ),
]


def refused_writing_nothing(queue, finder, caplog, fields) -> Refusal:
    """Submit `fields` (logging captured): the refusal, after checking nothing was written."""
    before = snapshot(queue)
    caplog.set_level("INFO", logger="leaderboard.submission")
    outcome = submitter(queue, finder).submit(form(**fields), sender="me")
    assert isinstance(outcome, Refusal), outcome
    assert snapshot(queue) == before
    return outcome


@pytest.mark.parametrize(
    ("fields", "rule", "message"),
    [case[1:] for case in BAD_VALUES],
    ids=[case[0] for case in BAD_VALUES],
)
def test_values_of_the_wrong_type_are_refused_naming_the_field(
    queue, finder, caplog, fields, rule, message
):
    outcome = refused_writing_nothing(queue, finder, caplog, fields)
    assert (outcome.rule, outcome.message) == (rule, message)
    assert f"({rule}): {message}" in caplog.text


OVERSIZED = [
    # (case id, form fields, rule, how the message starts)
    (
        "1 MB revision",
        {"revision": "r" * MEGABYTE},
        "revision",
        "The revision '" + "r" * 79 + "…' (1,048,576 characters) is too long: a branch, tag "
        "or commit name has at most 200 characters.",
    ),
    (
        "revision one over the limit",
        {"revision": "v" * 201},
        "revision",
        "The revision '" + "v" * 79 + "…' (201 characters) is too long",
    ),
    (
        "1 MB model id",
        {"model": "tiny-org/" + "m" * MEGABYTE},
        "model-id",
        "The model id is 1048585 characters long; the Hub allows at most 96.",
    ),
    (
        "1 MB model id of control characters",
        {"model": "\x00" * MEGABYTE},
        "model-id",
        "The model id is 1048576 characters long; the Hub allows at most 96.",
    ),
    (
        "96 escaped characters",
        {"model": "\U0010ffff" * 96},
        "model-id",
        "The model id '" + "\\U0010ffff" * 7 + "…' (96 characters) must have exactly one `/`",
    ),
    (
        "1 MB precision",
        {"precision": "p" * MEGABYTE},
        "precision",
        "Unknown precision '" + "p" * 79 + "…' (1,048,576 characters); choose one of:",
    ),
    (
        "1 MB weight type",
        {"weight_type": "w" * MEGABYTE},
        "weight-type",
        "Unknown weight type '" + "w" * 79 + "…' (1,048,576 characters); choose one of:",
    ),
    (
        "1 MB model type",
        {"model_type": "t" * MEGABYTE},
        "model-type",
        "Unknown model type '" + "t" * 79 + "…' (1,048,576 characters); choose one of:",
    ),
    (
        "1 MB base model",
        {"weight_type": "Delta", "base_model": "b" * MEGABYTE},
        "base-model",
        "Base model: The model id is 1048576 characters long; the Hub allows at most 96.",
    ),
    (
        "1 MB base model, even unused",
        {"base_model": "b" * MEGABYTE},
        "base-model",
        "Base model: The model id is 1048576 characters long; the Hub allows at most 96.",
    ),
    (
        "1 MB use_chat_template",
        {"use_chat_template": "y" * MEGABYTE},
        "use-chat-template",
        "The `use_chat_template` field must be true or false, not '" + "y" * 79 + "…' "
        "(1,048,576 characters).",
    ),
    (
        "1 MB of newlines in the revision",
        {"revision": "main" + "\n" * MEGABYTE + "x"},
        "revision",
        "The revision 'main" + "\\n" * 37 + "…' (1,048,581 characters) is too long",
    ),
]


@pytest.mark.parametrize(
    ("fields", "rule", "start"),
    [case[1:] for case in OVERSIZED],
    ids=[case[0] for case in OVERSIZED],
)
def test_oversized_values_are_refused_with_a_short_message_and_a_short_log_line(
    queue, finder, caplog, fields, rule, start
):
    outcome = refused_writing_nothing(queue, finder, caplog, fields)
    assert outcome.rule == rule
    assert outcome.message.startswith(start), outcome.message
    assert len(outcome.message) < 300
    records = [r for r in caplog.records if r.name.startswith("leaderboard.submission")]
    (record,) = records
    assert record.getMessage().startswith("Refused ")
    assert len(record.getMessage()) < 400 and "\n" not in record.getMessage()


def test_the_log_line_of_a_refusal_is_bounded_whatever_the_model_is(queue, finder, caplog):
    caplog.set_level("INFO", logger="leaderboard.submission")
    for model in (["x"] * MEGABYTE, {"k": "v" * MEGABYTE}, "org/" + "\n" * MEGABYTE):
        caplog.clear()
        outcome = submitter(queue, finder).submit(form(model), sender="me")
        assert isinstance(outcome, Refusal), outcome
        (record,) = caplog.records
        assert len(record.getMessage()) < 400 and "\n" not in record.getMessage()


QUOTES = [
    # (text, limit, quoted)
    ("main", 80, "'main'"),
    ("it's", 80, '"it\'s"'),  # as repr quotes it
    ("a" * 80, 80, "'" + "a" * 80 + "'"),
    ("a" * 81, 80, "'" + "a" * 79 + "…' (81 characters)"),
    ("a" * MEGABYTE, 8, "'aaaaaaa…' (1,048,576 characters)"),
    ("\x00\n", 80, "'\\x00\\n'"),
    ("\x00" * 30, 80, "'" + "\\x00" * 19 + "…' (30 characters)"),
    ("x'" * 50, 10, "'x\\'x\\'x\\'…' (100 characters)"),
    ("<img src=x>", 80, "'<img src=x>'"),
]


@pytest.mark.parametrize(
    ("text", "limit", "expected"), QUOTES, ids=[expected for _, _, expected in QUOTES]
)
def test_quoted_shortens_and_escapes_what_it_echoes(text, limit, expected):
    assert quoted(text, limit) == expected
    assert len(quoted(text, limit)) <= limit + len(" (1,048,576 characters)") + 3
