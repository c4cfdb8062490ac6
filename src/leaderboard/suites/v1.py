"""The archived 2023 Open LLM Leaderboard (v1): six benchmarks, raw percentages."""

from __future__ import annotations

from leaderboard.suites.model import Benchmark, Part, Run, Scoring, Source, Suite

# The 57 subjects, each with its number of test questions (14,042 in all; every results file
# with `n-samples` and every stderr in realdata agrees).
MMLU_SUBJECTS = {
    "abstract_algebra": 100,
    "anatomy": 135,
    "astronomy": 152,
    "business_ethics": 100,
    "clinical_knowledge": 265,
    "college_biology": 144,
    "college_chemistry": 100,
    "college_computer_science": 100,
    "college_mathematics": 100,
    "college_medicine": 173,
    "college_physics": 102,
    "computer_security": 100,
    "conceptual_physics": 235,
    "econometrics": 114,
    "electrical_engineering": 145,
    "elementary_mathematics": 378,
    "formal_logic": 126,
    "global_facts": 100,
    "high_school_biology": 310,
    "high_school_chemistry": 203,
    "high_school_computer_science": 100,
    "high_school_european_history": 165,
    "high_school_geography": 198,
    "high_school_government_and_politics": 193,
    "high_school_macroeconomics": 390,
    "high_school_mathematics": 270,
    "high_school_microeconomics": 238,
    "high_school_physics": 151,
    "high_school_psychology": 545,
    "high_school_statistics": 216,
    "high_school_us_history": 204,
    "high_school_world_history": 237,
    "human_aging": 223,
    "human_sexuality": 131,
    "international_law": 121,
    "jurisprudence": 108,
    "logical_fallacies": 163,
    "machine_learning": 112,
    "management": 103,
    "marketing": 234,
    "medical_genetics": 100,
    "miscellaneous": 783,
    "moral_disputes": 346,
    "moral_scenarios": 895,
    "nutrition": 306,
    "philosophy": 311,
    "prehistory": 324,
    "professional_accounting": 282,
    "professional_law": 1534,
    "professional_medicine": 272,
    "professional_psychology": 612,
    "public_relations": 110,
    "security_studies": 245,
    "sociology": 201,
    "us_foreign_policy": 100,
    "virology": 166,
    "world_religions": 171,
}


def _single(
    task_spellings: tuple[str, ...], metrics: tuple[str, ...], items: int
) -> tuple[Part, ...]:
    return (Part(task_spellings[0], (Source(task_spellings, metrics),), items=items),)


ARC = Benchmark(
    key="arc",
    label="ARC",
    description="AI2 Reasoning Challenge: grade-school science questions (challenge set).",
    n_shot=25,
    parts=_single(("arc_challenge", "arc:challenge"), ("acc_norm",), items=1_172),
    metric_label="acc_norm",
    paper="https://arxiv.org/abs/1803.05457",
)
HELLASWAG = Benchmark(
    key="hellaswag",
    label="HellaSwag",
    description="Commonsense inference: pick the most plausible continuation of a scene.",
    n_shot=10,
    parts=_single(("hellaswag",), ("acc_norm",), items=10_042),
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
        Part(
            subject,
            (Source((f"mmlu_{subject}", f"hendrycksTest-{subject}"), ("acc",)),),
            items=items,
        )
        for subject, items in MMLU_SUBJECTS.items()
    ),
    scoring=Scoring.MEAN,
    metric_label="acc",
    aggregate=Part("mmlu", (Source(("mmlu",), ("acc",)),), items=sum(MMLU_SUBJECTS.values())),
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
            items=817,  # mc2 is not 0/1 per item: the binomial estimate is an upper bound
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
    parts=_single(("winogrande",), ("acc",), items=1_267),
    metric_label="acc",
    paper="https://arxiv.org/abs/1907.10641",
)
GSM8K = Benchmark(
    key="gsm8k",
    label="GSM8K",
    description="Grade-school math word problems solved step by step, answer by exact match.",
    n_shot=5,
    parts=_single(("gsm8k",), ("exact_match,strict-match", "acc", "exact_match"), items=1_319),
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
