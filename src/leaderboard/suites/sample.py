"""The `sample` suite: two small tasks of the project's own, runnable fully offline.

It exists so that the whole loop (submit, evaluate, publish, show) runs on a laptop and in
tests with a tiny model and no network. Its scores say nothing about real model quality.
"""

from __future__ import annotations

from leaderboard.suites.model import Benchmark, Part, Run, Source, Suite

SAMPLE_MC = Benchmark(
    key="sample_mc",
    label="Sample MC",
    description="Multiple-choice questions of general knowledge (4 choices), scored by "
    "length-normalized log-likelihood of each choice.",
    n_shot=0,
    parts=(Part("sample_mc", (Source(("sample_mc",), ("acc_norm",)),), 4, items=50),),
    metric_label="acc_norm",
)
SAMPLE_GEN = Benchmark(
    key="sample_gen",
    label="Sample Gen",
    description="Short generative answers (small arithmetic and word questions) checked by "
    "exact match.",
    n_shot=0,
    parts=(Part("sample_gen", (Source(("sample_gen",), ("exact_match",)),), items=50),),
    metric_label="exact_match",
)

SAMPLE = Suite(
    name="sample",
    title="Sample suite (offline)",
    description="Two tiny local tasks shipped with the project, so the whole loop runs with no "
    "network. Use it to try the leaderboard, not to rank models.",
    benchmarks=(SAMPLE_MC, SAMPLE_GEN),
    runs=(Run(("sample_mc", "sample_gen")),),
    shows_raw_columns=True,
    normalization=(
        "Scores are normalized like the v2 leaderboard: `max(0, (raw - 1/choices) / "
        "(1 - 1/choices)) * 100` for the multiple-choice task (4 choices) and `raw * 100` for "
        "the generative one. The Average is their mean."
    ),
    include_path="tasks",
)
