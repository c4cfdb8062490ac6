"""`python -m leaderboard ...` as a user runs it: a real subprocess on copies of the stores.

Covers the contracts of DESIGN.md §6 that scripts rely on: the subcommands listed by
`--help`; `table --json/--csv` printing the board as shown (same labels, order and numbers,
`Model` as plain `org/name`) with filters that mirror the UI; `status --json`'s shape; and
`demo-data` writing synthetic models the table reads back. Bad input must exit 2 with one
line on stderr saying what to fix, nothing on stdout, no traceback and no file written.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, V1_LABELS, eval_request, write_json
from leaderboard.query import to_records
from test_table import EXPECTED_ORDER

V2_BENCHMARKS = ["IFEval", "BBH", "MATH Lvl 5", "GPQA", "MUSR", "MMLU-PRO"]
ALL = [model for model, _ in EXPECTED_ORDER]  # board order: Average, descending
FLAGGED = "DopeorNope/SOLARC-MOE-10.7Bx4"  # also a MoE
MOE = "DopeorNope/SOLARC-MOE-10.7Bx6"
GONE = {"jeonsworld/CarbonVillain-en-13B-v1", "Weyaxi/SauerkrautLM-UNA-SOLAR-Instruct-test"}
CARBON = [m for m in ALL if "carbon" in m.lower()]
BFLOAT16 = ["Weyaxi/SauerkrautLM-UNA-SOLAR-Instruct", "Weyaxi/SauerkrautLM-UNA-SOLAR-Instruct-test"]
FINE_TUNED = [
    "kyujinpy/Sakura-SOLAR-Instruct",
    MOE,
    FLAGGED,
    "Weyaxi/SauerkrautLM-UNA-SOLAR-Instruct-test",
]


def except_(*models: str) -> list[str]:
    return [m for m in ALL if m not in models]


@pytest.fixture
def cli(tmp_path, demo_stores):
    """Run `python -m leaderboard ARGS` on copies of the embedded stores, with a private cache;
    `env` adds variables, `queue`/`results` point it at other stores."""
    default_queue, default_results = demo_stores

    def run(*args: str, env=None, queue=default_queue, results=default_results):
        child_env = {k: v for k, v in os.environ.items() if not k.startswith("LEADERBOARD_")}
        child_env.update(
            PYTHONPATH=str(REPO / "src"),
            LEADERBOARD_QUEUE=str(queue),
            LEADERBOARD_RESULTS=str(results),
            LEADERBOARD_CACHE_DIR=str(tmp_path / "cache"),
            **(env or {}),
        )
        return subprocess.run(
            [sys.executable, "-m", "leaderboard", *args],
            cwd=tmp_path,
            env=child_env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    return run


def ok_json(result: subprocess.CompletedProcess) -> object:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return json.loads(result.stdout)


def models(rows: list[dict]) -> list[str]:
    return [row["Model"] for row in rows]


def contents(*folders: Path) -> dict[str, bytes | None]:
    """Every path under the folders (None for a folder) with its bytes."""
    return {
        str(path): (path.read_bytes() if path.is_file() else None)
        for folder in folders
        if folder.exists()
        for path in sorted(folder.rglob("*"))
    }


def test_help_lists_every_subcommand(cli):
    result = cli("--help")
    assert result.returncode == 0
    listed = set(re.findall(r"^\s{4}(\S+)\s", result.stdout, flags=re.MULTILINE))
    assert {"serve", "submit", "worker", "status", "table", "demo-data"} <= listed


def test_table_json_and_csv_print_the_default_board_as_shown(cli):
    rows = ok_json(cli("table", "--json"))
    assert [(row["Model"], row["Average ⬆️"]) for row in rows] == EXPECTED_ORDER
    assert all(list(row) == V1_LABELS for row in rows)
    assert [row["Rank"] for row in rows] == [1] * 12  # 0.26 points apart, each ±0.9: tied
    assert rows[0] == {
        "Rank": 1,
        "T": "💬",
        "Model": "jeonsworld/CarbonVillain-en-10.7B-v4",  # plain, not a Markdown link
        "Average ⬆️": 74.52,
        "ARC": 71.25,
        "HellaSwag": 88.48,
        "MMLU": 66.27,
        "TruthfulQA": 71.95,
        "Winogrande": 83.58,
        "GSM8K": 65.58,
        "Type": "💬 chat models (RLHF, DPO, IFT, ...)",
        "Architecture": "LlamaForCausalLM",
        "Precision": "float16",
        "#Params (B)": 10.0,
        "Hub License": "cc-by-nc-sa-4.0",
        "Hub ❤️": 6,
        "CO₂ cost (kg)": None,
        "Speed (tokens/s)": None,
        "Context (tokens)": None,
    }
    assert all(re.fullmatch(r"[\w.-]+/[\w.-]+", row["Model"]) for row in rows)

    result = cli("table", "--csv")
    assert result.returncode == 0, result.stderr
    header, *lines = result.stdout.splitlines()
    assert header.split(",") == V1_LABELS
    parsed = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(lines) == len(parsed) == 12
    for from_csv, from_json in zip(parsed, rows, strict=True):  # same rows, same numbers
        for label, value in from_json.items():
            if value is None:
                assert from_csv[label] == "", label
            elif isinstance(value, int | float):
                assert float(from_csv[label]) == value, label
            else:
                assert from_csv[label] == value, label


FILTERS = [
    (["--search", "carbon"], CARBON),
    (["--search", "carbon; sakura"], [m for m in ALL if m in CARBON or "Sakura" in m]),
    (
        ["--search", "@license:cc-by-nc-4.0"],
        ["jeonsworld/CarbonVillain-en-10.7B-v1", "Weyaxi/SauerkrautLM-UNA-SOLAR-Instruct"],
    ),
    (["--search", "@precision:bfloat16"], BFLOAT16),
    (["--precision", "float16"], except_(*BFLOAT16)),
    (["--type", "fine-tuned"], FINE_TUNED),
    (["--hide", "flagged"], except_(FLAGGED)),
    (["--hide", "moe,unavailable"], except_(FLAGGED, MOE, *GONE)),
    (["--hide", "merged"], [m for m in ALL if m in GONE]),  # the two without a `merge` tag
    (["--size", "edge,consumer,gpurich"], []),  # all are 10B to 53B: Mid-range
    (["--params", "30-60"], [MOE, FLAGGED]),  # 53B, 36B
    (["--params=-36"], except_(MOE)),
    (
        ["--search", "carbon", "--precision", "float16", "--hide", "flagged", "--sort", "-gsm8k"],
        [
            "jeonsworld/CarbonVillain-en-10.7B-v4",  # 65.58
            "jeonsworld/CarbonVillain-en-10.7B-v2",  # 65.28
            "jeonsworld/CarbonVillain-en-10.7B-v3",  # 65.20 (ties keep the board's order)
            "kekmodel/StopCarbon-10.7B-v5",  # 65.20
            "kekmodel/StopCarbon-10.7B-v4",  # 64.44
            "jeonsworld/CarbonVillain-en-10.7B-v1",  # 64.29
            "jeonsworld/CarbonVillain-en-13B-v1",  # 64.29
        ],
    ),
    (["--sort", "params_b"], [*except_(MOE, FLAGGED), FLAGGED, MOE]),  # 10 x 10B, 36B, 53B
]


@pytest.mark.parametrize(("args", "expected"), FILTERS, ids=[" ".join(a) for a, _ in FILTERS])
def test_filters_mirror_the_ui(cli, args, expected):
    assert models(ok_json(cli("table", "--json", *args))) == expected


def test_sort_descending_orders_the_values_and_keeps_ranks_by_average(cli):
    rows = ok_json(cli("table", "--json", "--sort", "-gsm8k", "--columns", "gsm8k"))
    assert [row["GSM8K"] for row in rows] == [
        65.58, 65.28, 65.2, 65.2, 65.2, 64.9, 64.67, 64.67, 64.44, 64.37, 64.29, 64.29
    ]  # fmt: skip
    assert rows[5] == {"Rank": 1, "T": "🔶", "Model": MOE, "GSM8K": 64.9}


def test_columns_by_key_and_by_label_in_the_boards_order(cli):
    rows = ok_json(cli("table", "--json", "--columns", "Hub License, gsm8k,model_sha,MoE"))
    assert list(rows[0]) == ["Rank", "T", "Model", "GSM8K", "Hub License", "Model sha", "MoE"]
    by_model = {row["Model"]: row for row in rows}
    assert by_model[MOE]["Model sha"] == "64c8ef9fa6d9b54b68261d839b656b0dc8717374"
    assert by_model[MOE]["MoE"] is True
    assert by_model[ALL[0]]["MoE"] is False


def test_status_json_groups_the_queue_and_gives_failure_reasons(cli, demo_stores):
    queue, _ = demo_stores
    write_json(
        queue,
        "broken-org/broken-model_eval_request_False_bfloat16_Original.json",
        eval_request(
            "broken-org/broken-model",
            precision="bfloat16",
            status="FAILED",
            submitted_time="2024-06-02T08:00:00Z",
            failure_reason="CUDA out of memory at batch size 1",
        ),
    )
    write_json(
        queue,
        "waiting-org/waiting-model_eval_request_False_float16_Original.json",
        eval_request("waiting-org/waiting-model", status="PENDING"),
    )
    write_json(
        queue,
        "busy-org/busy-model_eval_request_False_float16_Adapter.json",
        eval_request("busy-org/busy-model", status="RUNNING", weight_type="Adapter"),
    )
    status = ok_json(cli("status", "--json"))
    assert list(status) == ["pending", "running", "finished", "failed", "unreadable"]
    assert [item["model"] for item in status["pending"]] == ["waiting-org/waiting-model"]
    assert [(i["model"], i["weight_type"]) for i in status["running"]] == [
        ("busy-org/busy-model", "Adapter")
    ]
    failed = status["failed"]
    assert len(failed) == 1
    assert {k: failed[0][k] for k in ("model", "precision", "status", "reason")} == {
        "model": "broken-org/broken-model",
        "precision": "bfloat16",
        "status": "FAILED",
        "reason": "CUDA out of memory at batch size 1",
    }
    finished = {item["model"]: item for item in status["finished"]}
    assert sorted(finished) == sorted(ALL)
    for path in (REPO / "eval-queue").rglob("*.json"):
        request = json.loads(path.read_text())
        item = finished[request["model"]]
        for key in ("revision", "precision", "weight_type", "status", "submitted_time"):
            assert item[key] == request[key], (request["model"], key)
    # The plain listing says the same for people.
    text = cli("status").stdout
    assert "FAILED (1)" in text and "FINISHED (12)" in text
    assert "CUDA out of memory at batch size 1" in text


def test_table_parquet_holds_the_rows_table_json_prints(cli, tmp_path):
    import pandas as pd

    view = ("--search", "carbon", "--sort", "gsm8k", "--columns", "average,gsm8k,precision")
    expected = ok_json(cli("table", "--json", *view))
    target = tmp_path / "board.parquet"
    result = cli("table", "--parquet", str(target), *view)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{len(expected)} rows -> {target}"
    read = to_records(pd.read_parquet(target))
    assert read == expected and len(read) == 7  # CarbonVillain x5, StopCarbon x2
    assert list(read[0]) == list(expected[0])
    assert not list(tmp_path.glob(".*.tmp"))  # nothing left beside it

    refused = cli("table", "--parquet", str(tmp_path / "no-such-folder" / "x.parquet"))
    assert refused.returncode == 1
    assert refused.stderr.startswith("error: cannot write ") and "Traceback" not in refused.stderr


def test_demo_data_writes_synthetic_models_the_table_reads(cli, tmp_path):
    queue, results = tmp_path / "synthetic-queue", tmp_path / "synthetic-results"
    result = cli(
        "demo-data", "--models", "50", "--suite", "v2", "--queue", str(queue),
        "--results", str(results),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "wrote 100 files for 50 synthetic models (v2)"
    assert len(list(queue.rglob("*.json"))) == len(list(results.rglob("*.json"))) == 50

    rows = ok_json(cli("table", "--json", "--suite", "v2", queue=queue, results=results))
    assert len(rows) == 50
    assert list(rows[0])[:10] == ["Rank", "T", "Model", "Average ⬆️", *V2_BENCHMARKS]
    for row in rows:
        assert re.fullmatch(r"synthetic-org-\d{3}/synthetic-model-\d{6}-[\d.]+B", row["Model"])
        mean = sum(row[label] for label in V2_BENCHMARKS) / len(V2_BENCHMARKS)
        assert row["Average ⬆️"] == pytest.approx(mean, abs=0.01 + 1e-9)
    averages = [row["Average ⬆️"] for row in rows]
    assert averages == sorted(averages, reverse=True)
    assert len(set(models(rows))) == 50


BAD_INPUT = [
    (["table", "--suite", "v9"], {}, ["Unknown suite 'v9'", "Known: sample, v1, v2"]),
    (["table", "--params", "abc"], {}, ["`params`", "MIN-MAX", "`abc`"]),
    (["table", "--columns", "ARC,Bogus"], {}, ["`columns` cannot be `Bogus`", "accepted: rank"]),
    (["table", "--sort", "-nosuch"], {}, ["`sort` cannot be `nosuch`"]),
    (["table", "--search", "@nosuchfield:x"], {}, ["`@nosuchfield:`", "@license:"]),
    (["table", "--type", "robot"], {}, ["`type` cannot be `robot`", "fine-tuned"]),
    (["table", "--hide", "flaged"], {}, ["`hide` cannot be `flaged`", "Did you mean `flagged`"]),
    (
        ["table"],
        {"LEADERBOARD_SUIT": "v1"},
        ["Unknown setting 'LEADERBOARD_SUIT'", "Did you mean 'LEADERBOARD_SUITE'"],
    ),
    (["table"], {"LEADERBOARD_SUITE": "v9"}, ["LEADERBOARD_SUITE='v9'", "Known: sample, v1, v2. "]),
    (
        ["status"],
        {"LEADERBOARD_REFRESH_SECONDS": "-1"},
        ["LEADERBOARD_REFRESH_SECONDS='-1' is not valid", "0 or more seconds"],
    ),
    (["demo-data", "--models", "0"], {}, ["--models must be at least 1"]),
    (["demo-data", "--models", "3", "--suite", "v9"], {}, ["invalid choice: 'v9'"]),
]


@pytest.mark.parametrize(
    ("args", "env", "words"),
    BAD_INPUT,
    ids=[
        " ".join([*(f"{k}={v}" for k, v in env.items()), *args]) or "-"
        for args, env, _ in BAD_INPUT
    ],
)
def test_bad_input_is_one_clear_line_and_changes_nothing(cli, demo_stores, args, env, words):
    queue, results = demo_stores
    if args[:1] == ["demo-data"]:
        args = [*args, "--queue", str(queue), "--results", str(results)]
    before = contents(queue, results)
    result = cli(*args, env=env)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for word in words:
        assert word in lines[0]
    assert contents(queue, results) == before


def test_submit_queues_a_local_model_and_prints_the_request_path(cli, demo_stores, tiny_model):
    queue, _ = demo_stores
    env = {"LEADERBOARD_LOCAL_MODELS": str(tiny_model.parent.parent)}
    result = cli(
        "submit", "tiny-org/tiny-model", "--model-type", "chat", "--precision", "bfloat16", env=env
    )
    assert (result.returncode, result.stderr) == (0, "")
    path = "tiny-org/tiny-model_eval_request_False_bfloat16_Original.json"
    assert result.stdout == path + "\n"
    request = json.loads((queue / path).read_text())
    assert (request["status"], request["sender"], len(request["revision"])) == (
        "PENDING",
        "local",
        40,
    )

    again = cli(
        "submit", "tiny-org/tiny-model", "--model-type", "chat", "--precision", "bfloat16", env=env
    )
    assert (again.returncode, again.stdout) == (1, "")
    assert again.stderr.startswith("error: tiny-org/tiny-model at commit ")
    assert again.stderr.endswith(
        "in bfloat16 is already pending (submitted " + request["submitted_time"] + ").\n"
    )


def test_submit_refuses_with_one_line_and_writes_nothing(cli, demo_stores):
    before = contents(*demo_stores)
    result = cli("submit", "../../etc/passwd", "--model-type", "chat")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        "error: The model id '../../etc/passwd' must have exactly one `/`, as in `org/model`.\n"
    )
    assert contents(*demo_stores) == before


def test_demo_model_builds_a_tiny_model_that_submission_accepts(cli, tmp_path, demo_stores):
    folder = tmp_path / "models" / "demo-org" / "tiny"
    built = cli("demo-model", str(folder))
    assert built.returncode == 0, built.stderr
    assert built.stdout.strip() == str(folder)
    assert {"config.json", "model.safetensors", "tokenizer.json", "README.md"} <= {
        p.name for p in folder.iterdir()
    }
    env = {"LEADERBOARD_LOCAL_MODELS": str(tmp_path / "models")}
    queued = cli("submit", "demo-org/tiny", "--model-type", "pretrained", env=env)
    assert queued.returncode == 0, queued.stderr


UI_IMPORTS = """
import sys
from leaderboard.config import load_settings
from leaderboard.ui.app import build_app

build_app(load_settings())
heavy = sorted(m for m in ("torch", "lm_eval", "transformers", "accelerate") if m in sys.modules)
print(",".join(heavy))
"""


def test_the_ui_process_never_imports_torch_or_lm_eval(tmp_path):
    """Evaluations and model checks run in child processes; the app keeps ~200 MB of imports
    out of its memory (DESIGN: the UI never imports torch)."""
    done = subprocess.run(
        [sys.executable, "-c", UI_IMPORTS],
        cwd=REPO,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("LEADERBOARD_")},
            "PYTHONPATH": str(REPO / "src"),
            "LEADERBOARD_CACHE_DIR": str(tmp_path / "cache"),
            "LEADERBOARD_REFRESH_SECONDS": "0",
        },
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""
