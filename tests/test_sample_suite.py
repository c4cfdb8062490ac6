"""The sample suite's own lm-eval tasks, and the real harness run end to end on a tiny model.

The end-to-end tests read what the `harness_run` fixture (tests/conftest.py: `python -m
lm_eval run` in a child process, offline, from a folder that is not the repository, on a model
built by `leaderboard.demo_model`) wrote, with our own parser and scorer.
"""

from __future__ import annotations

import collections
import json
from pathlib import Path

import pytest
from safetensors import SafetensorError, safe_open

import leaderboard
from leaderboard.demo_model import build_tiny_model
from leaderboard.domain import Precision, ResultFormat, parse_results
from leaderboard.suites import get_suite, normalize, score_result
from leaderboard.tasks import TASKS_DIR

SAMPLE = get_suite("sample")
TASKS = ("sample_mc", "sample_gen")


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


# --- the task files ---------------------------------------------------------------------------


def test_the_suite_points_at_the_package_task_folder():
    assert Path(leaderboard.__file__).parent / SAMPLE.include_path == TASKS_DIR
    for name in ("sample_mc.yaml", "sample_gen.yaml", "sample_data.py", "README.md"):
        assert (TASKS_DIR / name).is_file(), name
    assert SAMPLE.runs[0].tasks == TASKS


def test_task_manager_finds_only_the_sample_tasks_and_loads_them_from_anywhere(
    tmp_path, monkeypatch
):
    from lm_eval.tasks import TaskManager

    monkeypatch.chdir(tmp_path)  # data_files must not depend on the current directory
    manager = TaskManager(include_path=str(TASKS_DIR), include_defaults=False)
    assert sorted(manager.all_tasks) == sorted(TASKS)
    tasks = manager.load(list(TASKS))["tasks"]
    assert sorted(tasks) == sorted(TASKS)

    mc, gen = tasks["sample_mc"], tasks["sample_gen"]
    assert mc.OUTPUT_TYPE == "multiple_choice"
    assert gen.OUTPUT_TYPE == "generate_until"
    assert {"acc", "acc_norm"} <= set(mc.aggregation())
    assert set(gen.aggregation()) == {"exact_match"}
    for task in (mc, gen):
        assert task.config.num_fewshot == 0
        assert len(list(task.test_docs())) == 50

    doc = next(iter(mc.test_docs()))
    assert mc.doc_to_text(doc) == f"Question: {doc['question']}\nAnswer:"
    assert mc.doc_to_choice(doc) == doc["choices"]
    assert mc.doc_to_target(doc) == doc["answer"]
    doc = next(iter(gen.test_docs()))
    assert gen.doc_to_target(doc) == doc["answer"]
    assert gen.config.generation_kwargs["until"] == ["\n", "Question:"]
    assert gen.config.generation_kwargs["max_gen_toks"] <= 16


def test_the_suite_reads_the_metrics_the_tasks_report():
    mc, gen = SAMPLE.benchmarks
    assert (mc.key, mc.parts[0].sources[0].metrics, mc.parts[0].num_choices) == (
        "sample_mc",
        ("acc_norm",),
        4,
    )
    assert (gen.key, gen.parts[0].sources[0].metrics) == ("sample_gen", ("exact_match",))


def test_multiple_choice_data_is_well_formed_and_balanced():
    rows = read_jsonl(TASKS_DIR / "sample_mc.jsonl")
    assert 40 <= len(rows) <= 60
    assert len({row["id"] for row in rows}) == len(rows)
    assert len({row["question"] for row in rows}) == len(rows)
    for row in rows:
        assert len(row["choices"]) == 4 and len(set(row["choices"])) == 4, row["id"]
        assert row["answer"] in range(4), row["id"]
    # No position is a shortcut: "always answer A" stays near chance.
    positions = collections.Counter(row["answer"] for row in rows)
    assert max(positions.values()) <= 0.3 * len(rows), positions


def test_generative_data_is_well_formed():
    rows = read_jsonl(TASKS_DIR / "sample_gen.jsonl")
    assert 40 <= len(rows) <= 60
    assert len({row["id"] for row in rows}) == len(rows)
    for row in rows:
        answer = row["answer"]
        assert answer and answer == answer.strip() and "\n" not in answer, row["id"]
        assert len(answer.split()) == 1, row["id"]  # one word: short greedy answers suffice


# --- the real harness, end to end --------------------------------------------------------------


def test_harness_output_scores_both_benchmarks(harness_run):
    path = harness_run["results"]
    result = parse_results(json.loads(path.read_text()), path=path.name)

    assert result.format is ResultFormat.LM_EVAL_04
    assert result.model == str(harness_run["model"])  # from `pretrained=`
    assert result.precision is Precision.FLOAT32
    assert result.harness_version.startswith("lm-eval 0.4")
    assert result.evaluation_seconds and result.evaluation_seconds > 0
    assert result.evaluated_at is not None
    assert dict(result.n_shot) == {"sample_mc": 0, "sample_gen": 0}
    assert dict(result.n_samples) == {"sample_mc": 50, "sample_gen": 50}

    scores = score_result(result, SAMPLE)
    assert set(scores) == {"sample_mc", "sample_gen"}
    mc, gen = scores["sample_mc"], scores["sample_gen"]
    assert mc.raw == result.metric("sample_mc", "acc_norm")
    assert 0.0 <= mc.raw <= 1.0 and 0.0 <= result.metric("sample_mc", "acc") <= 1.0
    assert mc.normalized == pytest.approx(max(0.0, (mc.raw - 0.25) / 0.75) * 100)
    assert mc.normalized == pytest.approx(normalize(mc.raw, 0.25))
    assert gen.raw == result.metric("sample_gen", "exact_match")
    assert 0.0 <= gen.raw <= 1.0
    assert gen.normalized == pytest.approx(gen.raw * 100)


def test_harness_logs_every_sample(harness_run):
    folder = harness_run["folder"]
    for task in TASKS:
        (samples,) = folder.glob(f"samples_{task}_*.jsonl")
        rows = read_jsonl(samples)
        assert len(rows) == 50
        assert {row["doc"]["id"] for row in rows} == {
            row["id"] for row in read_jsonl(TASKS_DIR / f"{task}.jsonl")
        }
    gen_rows = read_jsonl(next(folder.glob("samples_sample_gen_*.jsonl")))
    assert all("\n" not in row["filtered_resps"][0] for row in gen_rows)


def test_harness_ran_offline_without_remote_code(harness_run):
    data = json.loads(harness_run["results"].read_text())
    assert "trust_remote_code" not in str(data["config"]["model_args"])
    assert "Traceback" not in harness_run["log"]


# --- the tiny model ----------------------------------------------------------------------------


def test_tiny_model_loads_with_transformers_and_is_small(tiny_model):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(tiny_model, trust_remote_code=False)
    tokenizer = AutoTokenizer.from_pretrained(tiny_model, trust_remote_code=False)
    params = sum(p.numel() for p in model.parameters())
    assert 100_000 <= params <= 2_000_000, params
    assert model.config.architectures == ["LlamaForCausalLM"]
    assert model.config.vocab_size == len(tokenizer)
    text = "Question: What is 2 plus 3?\nAnswer: 5"
    assert tokenizer.decode(tokenizer(text).input_ids) == text  # byte-level: lossless
    assert tokenizer.eos_token == "</s>" and tokenizer.pad_token == "<pad>"

    config = json.loads((tiny_model / "tokenizer_config.json").read_text())
    assert "<|im_start|>" in config["chat_template"]
    card = (tiny_model / "README.md").read_text()
    front, body = card.split("---\n", 2)[1:]
    assert "license: apache-2.0" in front.splitlines()
    assert len(body.strip()) >= 200


def test_same_seed_gives_identical_files_and_another_seed_other_weights(tmp_path):
    first = build_tiny_model(tmp_path / "a" / "m", seed=3)
    second = build_tiny_model(tmp_path / "b" / "m", seed=3)
    other = build_tiny_model(tmp_path / "c" / "m", seed=4)
    for name in ("model.safetensors", "tokenizer.json", "tokenizer_config.json", "config.json"):
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    assert (first / "model.safetensors").read_bytes() != (other / "model.safetensors").read_bytes()


def test_variants_for_failure_tests(tmp_path):
    bare = build_tiny_model(
        tmp_path / "bare", license=None, chat_template=False, card_text="Short words."
    )
    front = (bare / "README.md").read_text().split("---\n", 2)[1]
    assert "license" not in front
    assert "chat_template" not in json.loads((bare / "tokenizer_config.json").read_text())
    assert not list(bare.glob("*.jinja"))

    assert not (build_tiny_model(tmp_path / "no-card", model_card=False) / "README.md").exists()

    broken = build_tiny_model(tmp_path / "broken", corrupt=True)
    with pytest.raises(SafetensorError), safe_open(broken / "model.safetensors", "pt"):
        pass
