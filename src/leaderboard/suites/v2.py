"""Open LLM Leaderboard v2 (June 2024 on): lm-eval's `leaderboard` task group."""

from __future__ import annotations

from leaderboard.suites.model import Benchmark, Part, Run, Scoring, Source, Suite


def _part(task: str, metric: str, num_choices: int | None, items: int, name: str = "") -> Part:
    return Part(name or task, (Source((task,), (metric,)),), num_choices, items)


# Per-subtask number of choices (the normalization's random baseline is 1/n).
BBH_CHOICES = {
    "sports_understanding": 2,
    "tracking_shuffled_objects_three_objects": 3,
    "navigate": 2,
    "snarks": 2,
    "date_understanding": 6,
    "reasoning_about_colored_objects": 18,
    "object_counting": 19,
    "logical_deduction_seven_objects": 7,
    "geometric_shapes": 11,
    "web_of_lies": 2,
    "movie_recommendation": 6,
    "logical_deduction_five_objects": 5,
    "salient_translation_error_detection": 6,
    "disambiguation_qa": 3,
    "temporal_sequences": 4,
    "hyperbaton": 2,
    "logical_deduction_three_objects": 3,
    "causal_judgement": 2,
    "formal_fallacies": 2,
    "tracking_shuffled_objects_seven_objects": 7,
    "ruin_names": 6,
    "penguins_in_a_table": 5,
    "boolean_expressions": 2,
    "tracking_shuffled_objects_five_objects": 5,
}
MUSR_CHOICES = {"murder_mysteries": 2, "object_placements": 5, "team_allocation": 3}
# Items per subtask, where not BBH's usual 250 (every file of realdata with `n-samples`, and
# a fit of the published board's values as fractions, agree: 5,761 in all).
BBH_ITEMS = {"causal_judgement": 187, "penguins_in_a_table": 146, "snarks": 178}
MUSR_ITEMS = {"murder_mysteries": 250, "object_placements": 256, "team_allocation": 250}

IFEVAL = Benchmark(
    key="ifeval",
    label="IFEval",
    description="Instruction following: 541 prompts with verifiable instructions "
    '("write in more than 400 words", "mention the keyword AI at least 3 times").',
    n_shot=0,
    parts=(
        _part("leaderboard_ifeval", "prompt_level_strict_acc", None, 541, "prompt-level strict"),
        # The mean over the prompts' 834 instructions; lm-eval gives it no stderr ("N/A").
        _part("leaderboard_ifeval", "inst_level_strict_acc", None, 834, "instruction-level strict"),
    ),
    scoring=Scoring.MEAN,
    metric_label="mean of prompt- and instruction-level strict accuracy",
    paper="https://arxiv.org/abs/2311.07911",
)
BBH = Benchmark(
    key="bbh",
    label="BBH",
    description="Big-Bench Hard: 23 challenging BIG-Bench tasks (24 subtasks) in multistep "
    "arithmetic, algorithmic reasoning, language understanding and world knowledge.",
    n_shot=3,
    parts=tuple(
        _part(f"leaderboard_bbh_{name}", "acc_norm", choices, BBH_ITEMS.get(name, 250), name)
        for name, choices in BBH_CHOICES.items()
    ),
    scoring=Scoring.NORMALIZED_MEAN,
    metric_label="acc_norm",
    aggregate=_part("leaderboard_bbh", "acc_norm", None, 250 * 21 + sum(BBH_ITEMS.values())),
    paper="https://arxiv.org/abs/2210.09261",
)
MATH = Benchmark(
    key="math_lvl5",
    label="MATH Lvl 5",
    description="The hardest (level 5) competition problems of MATH, answered in LaTeX and "
    "checked by exact match.",
    n_shot=4,
    # The group of the 7 subjects' level-5 test problems (307 + 123 + 132 + 280 + 154 + 193 + 135).
    parts=(_part("leaderboard_math_hard", "exact_match", None, 1_324),),
    metric_label="exact_match",
    paper="https://arxiv.org/abs/2103.03874",
)
GPQA = Benchmark(
    key="gpqa",
    label="GPQA",
    description="Graduate-level, Google-proof questions in biology, physics and chemistry, "
    "written by PhD experts (4 choices).",
    n_shot=0,
    # The group of diamond (198), main (448) and extended (546). They overlap (diamond is in
    # main, main in extended): 546 distinct questions, so the binomial estimate over 1,192
    # understates the stderr.
    parts=(_part("leaderboard_gpqa", "acc_norm", 4, 1_192),),
    metric_label="acc_norm",
    paper="https://arxiv.org/abs/2311.12022",
)
MUSR = Benchmark(
    key="musr",
    label="MUSR",
    description="Multistep soft reasoning over ~1,000-word narratives: murder mysteries, "
    "object placement and team allocation.",
    n_shot=0,
    parts=tuple(
        _part(f"leaderboard_musr_{name}", "acc_norm", choices, MUSR_ITEMS[name], name)
        for name, choices in MUSR_CHOICES.items()
    ),
    scoring=Scoring.NORMALIZED_MEAN,
    metric_label="acc_norm",
    aggregate=_part("leaderboard_musr", "acc_norm", None, sum(MUSR_ITEMS.values())),
    paper="https://arxiv.org/abs/2310.16049",
)
MMLU_PRO = Benchmark(
    key="mmlu_pro",
    label="MMLU-PRO",
    description="A harder, cleaner MMLU: 10 choices instead of 4, more reasoning, "
    "expert-reviewed questions.",
    n_shot=5,
    parts=(_part("leaderboard_mmlu_pro", "acc", 10, 12_032),),
    metric_label="acc",
    paper="https://arxiv.org/abs/2406.01574",
)

V2 = Suite(
    name="v2",
    title="Open LLM Leaderboard v2",
    description="The six benchmarks of the Open LLM Leaderboard since June 2024, run with "
    "lm-evaluation-harness's `leaderboard` task group.",
    benchmarks=(IFEVAL, BBH, MATH, GPQA, MUSR, MMLU_PRO),
    runs=(Run(("leaderboard",)),),
    shows_raw_columns=True,
    normalization=(
        "Scores are normalized so that random guessing scores 0 and a perfect answer 100: "
        "`max(0, (raw - baseline) / (1 - baseline)) * 100`, where the baseline is "
        "`1 / number of choices` for multiple-choice tasks and 0 for generative ones. "
        "BBH and MUSR are normalized per subtask (each has its own number of choices) and then "
        "averaged; IFEval is the mean of prompt-level and instruction-level strict accuracy. "
        "The Average is the mean of the six normalized scores. Raw scores are kept in the "
        "hidden *Raw* columns."
    ),
    citation="""@misc{open-llm-leaderboard-v2,
  author = {Clémentine Fourrier and Nathan Habib and Alina Lozovskaya and Konrad Szafer and Thomas Wolf},
  title = {Open LLM Leaderboard v2},
  year = {2024},
  publisher = {Hugging Face},
  howpublished = "\\url{https://huggingface.co/spaces/open-llm-leaderboard/open_llm_leaderboard}",
}""",
)
