"""The archived 2023 Open LLM Leaderboard (v1): six benchmarks, raw percentages."""

from __future__ import annotations

from leaderboard.suites.model import Benchmark, Part, Run, Scoring, Source, Suite

MMLU_SUBJECTS = (
    "abstract_algebra",
    "anatomy",
    "astronomy",
    "business_ethics",
    "clinical_knowledge",
    "college_biology",
    "college_chemistry",
    "college_computer_science",
    "college_mathematics",
    "college_medicine",
    "college_physics",
    "computer_security",
    "conceptual_physics",
    "econometrics",
    "electrical_engineering",
    "elementary_mathematics",
    "formal_logic",
    "global_facts",
    "high_school_biology",
    "high_school_chemistry",
    "high_school_computer_science",
    "high_school_european_history",
    "high_school_geography",
    "high_school_government_and_politics",
    "high_school_macroeconomics",
    "high_school_mathematics",
    "high_school_microeconomics",
    "high_school_physics",
    "high_school_psychology",
    "high_school_statistics",
    "high_school_us_history",
    "high_school_world_history",
    "human_aging",
    "human_sexuality",
    "international_law",
    "jurisprudence",
    "logical_fallacies",
    "machine_learning",
    "management",
    "marketing",
    "medical_genetics",
    "miscellaneous",
    "moral_disputes",
    "moral_scenarios",
    "nutrition",
    "philosophy",
    "prehistory",
    "professional_accounting",
    "professional_law",
    "professional_medicine",
    "professional_psychology",
    "public_relations",
    "security_studies",
    "sociology",
    "us_foreign_policy",
    "virology",
    "world_religions",
)


def _single(task_spellings: tuple[str, ...], metrics: tuple[str, ...]) -> tuple[Part, ...]:
    return (Part(task_spellings[0], (Source(task_spellings, metrics),)),)


ARC = Benchmark(
    key="arc",
    label="ARC",
    description="AI2 Reasoning Challenge: grade-school science questions (challenge set).",
    n_shot=25,
    parts=_single(("arc_challenge", "arc:challenge"), ("acc_norm",)),
    metric_label="acc_norm",
    paper="https://arxiv.org/abs/1803.05457",
)
HELLASWAG = Benchmark(
    key="hellaswag",
    label="HellaSwag",
    description="Commonsense inference: pick the most plausible continuation of a scene.",
    n_shot=10,
    parts=_single(("hellaswag",), ("acc_norm",)),
    metric_label="acc_norm",
    paper="https://arxiv.org/abs/1905.07830",
)
MMLU = Benchmark(
    key="mmlu",
    label="MMLU",
    description="Multitask accuracy over 57 subjects (mathematics, history, law, medicine, ...); "
    "the score is the plain mean over subjects.",
    n_shot=5,
    parts=tuple(
        Part(subject, (Source((f"mmlu_{subject}", f"hendrycksTest-{subject}"), ("acc",)),))
        for subject in MMLU_SUBJECTS
    ),
    scoring=Scoring.MEAN,
    metric_label="acc",
    aggregate=Part("mmlu", (Source(("mmlu",), ("acc",)),)),
    paper="https://arxiv.org/abs/2009.03300",
)
TRUTHFULQA = Benchmark(
    key="truthfulqa",
    label="TruthfulQA",
    description="Whether a model repeats common falsehoods (multiple-choice, mc2 score).",
    n_shot=0,
    parts=(
        Part(
            "truthfulqa_mc2",
            (
                Source(("truthfulqa_mc2",), ("acc",)),
                Source(("truthfulqa:mc", "truthfulqa_mc", "truthfulqa"), ("mc2",)),
            ),
        ),
    ),
    metric_label="mc2",
    paper="https://arxiv.org/abs/2109.07958",
)
WINOGRANDE = Benchmark(
    key="winogrande",
    label="Winogrande",
    description="Adversarial Winograd schemas: commonsense pronoun resolution.",
    n_shot=5,
    parts=_single(("winogrande",), ("acc",)),
    metric_label="acc",
    paper="https://arxiv.org/abs/1907.10641",
)
GSM8K = Benchmark(
    key="gsm8k",
    label="GSM8K",
    description="Grade-school math word problems solved step by step, answer by exact match.",
    n_shot=5,
    parts=_single(("gsm8k",), ("exact_match,strict-match", "acc", "exact_match")),
    metric_label="exact_match (strict)",
    paper="https://arxiv.org/abs/2110.14168",
)

V1 = Suite(
    name="v1",
    title="Open LLM Leaderboard v1 (archived)",
    description="The six benchmarks of the 2023 Open LLM Leaderboard, each with its own "
    "few-shot count.",
    benchmarks=(ARC, HELLASWAG, MMLU, TRUTHFULQA, WINOGRANDE, GSM8K),
    runs=(
        Run(("arc_challenge",), 25),
        Run(("hellaswag",), 10),
        Run(("mmlu",), 5),
        Run(("truthfulqa_mc2",), 0),
        Run(("winogrande",), 5),
        Run(("gsm8k",), 5),
    ),
    shows_raw_columns=False,
    normalization=(
        "Scores are raw accuracies in percent (no baseline correction). MMLU is the plain mean "
        "of its 57 subjects; the Average is the mean of the six scores. A value measured with "
        "another few-shot count than the benchmark's is not used."
    ),
    citation="""@misc{open-llm-leaderboard-v1,
  author = {Edward Beeching and Clémentine Fourrier and Nathan Habib and Sheon Han and Nathan Lambert and Nazneen Rajani and Omar Sanseviero and Lewis Tunstall and Thomas Wolf},
  title = {Open LLM Leaderboard (2023-2024)},
  year = {2023},
  publisher = {Hugging Face},
  howpublished = "\\url{https://huggingface.co/spaces/open-llm-leaderboard-old/open_llm_leaderboard}",
}""",
)
