"""The per-sample viewer's reading and querying of lm-eval samples files, against the floor.

    PYTHONPATH=src python benchmarks/viewer_speed.py [--repeats 7] [--prompt-chars 1500]

Data: synthetic samples files shaped as lm-eval 0.4 writes them (`json.dumps`, key order, `doc`
fields, log-likelihoods as text, `filter`, `metrics`, hashes), generated in memory with a fixed
seed:

- HellaSwag-like multiple choice, 10,042 samples (HellaSwag's validation split), 4 choices,
  the doc as lm-eval's hellaswag task has it (`ctx_a`, `ctx_b`, `ctx`, `query`, `endings`,
  `choices`, ...), once with ~1.5 kB prompts (`--prompt-chars`; ~12.7 kB lines) and once with
  ~300-character prompts, whose ~5 kB lines are the top of real HellaSwag files' 2-5 kB;
- GSM8K-like generation, 5,000 documents under two filters (`strict-match`,
  `flexible-extract`): 10,000 samples, a ~300-character chain of thought each.

Baseline (the floor): `orjson.loads` of every line of the same bytes (views of them, no
copies), each result dropped, no field read: what any reader that parses each line pays.
`parse_samples` then reads the fields the viewer shows, bounds them and builds the records.

Figures are medians of `--repeats` runs, of wall time and of this process's CPU time
(`time.process_time`): on a shared machine the wall time also counts the time other processes
held the core, the CPU time does not; runs of ours and of the floor alternate.

`view` is timed on the first 10,042-sample file for searches and the `incorrect` outcome: cold
(its first call on a freshly parsed task, which case-folds every sample's texts or computes
each sample's outcome once) and warm (a later page or another search of the same task).
"""

from __future__ import annotations

import gc
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import orjson

import common
from leaderboard.sample_query import Outcome, SampleQuery, view
from leaderboard.samples import parse_samples

HELLASWAG_SAMPLES = 10_042
GSM8K_DOCS = 5_000  # x 2 filters
VOCABULARY = (
    "the a man woman person people is are was then begins starts continues to and with on in "
    "of into onto while after before holding using kitchen ladder roof paint brush knife "
    "bowl water slowly quickly carefully camera shows close up shot of his her their hands "
    "table floor outside grass ball rope bike wheel dog cat stage crowd watching talking "
    "explains how demonstrates puts takes picks up down around back forth several times "
    "finally again next another same other small large red blue white black front side "
    "wipes cuts pours mixes stirs lifts throws catches runs jumps walks rides climbs sits "
    "stands smiles laughs dances plays piano guitar drums violin"
)
WORDS = VOCABULARY.split()
NON_ASCII = ("café", "naïve", "résumé", "Zürich")  # in 1 sample in 20, as in English tasks


def accent(rng: random.Random, text: str) -> str:
    """`text`, in one case in 20 with one word that is not ASCII: Python case-folds and orjson
    reads such text several times slower, so how often it occurs matters to both."""
    if rng.random() >= 0.05:
        return text
    return f"{text} {rng.choice(NON_ASCII)}"


def sentence(rng: random.Random, chars: int) -> str:
    out, length = [], 0
    while length < chars:
        word = rng.choice(WORDS)
        out.append(word)
        length += len(word) + 1
        if rng.random() < 0.08:
            out[-1] += rng.choice(".,;")
    return " ".join(out).capitalize()


def as_lm_eval_writes(line: dict) -> bytes:
    """One line as lm-eval writes it: `json.dumps(..., ensure_ascii=False)`, whose `, ` and
    `: ` separators orjson does not write."""
    return json.dumps(line, ensure_ascii=False).encode()


def hellaswag_file(samples: int, prompt_chars: int, seed: int = 0) -> bytes:
    rng = random.Random(seed)
    lines = []
    for index in range(samples):
        label = rng.choice(["Washing dishes", "Roof shingle removal", "Playing violin"])
        ctx_a = accent(rng, sentence(rng, int(prompt_chars * rng.uniform(0.7, 1.1))))
        ctx_b = sentence(rng, rng.randint(20, 60)).lower()
        ctx = f"{ctx_a} {ctx_b.capitalize()}"
        query = f"{label}: {ctx}"
        endings = [sentence(rng, rng.randint(60, 200)).lower() for _ in range(4)]
        gold = rng.randrange(4)
        lls = [-rng.uniform(5, 120) for _ in range(4)]
        picked = lls.index(max(lls))
        doc = {
            "ind": 24 + index,
            "activity_label": label,
            "ctx_a": ctx_a,
            "ctx_b": ctx_b,
            "ctx": ctx,
            "endings": endings,
            "source_id": f"activitynet~v_{rng.getrandbits(40):x}",
            "split": "val",
            "split_type": rng.choice(["indomain", "zeroshot"]),
            "label": str(gold),
            "query": query,
            "choices": endings,
            "gold": gold,
        }
        line = {
            "doc_id": index,
            "doc": doc,
            "target": str(gold),
            "arguments": {
                f"gen_args_{i}": {"arg_0": query, "arg_1": f" {ending}"}
                for i, ending in enumerate(endings)
            },
            "resps": [[[str(ll), "False"]] for ll in lls],
            "filtered_resps": [[str(ll), "False"] for ll in lls],
            "filter": "none",
            "metrics": ["acc", "acc_norm"],
            "doc_hash": f"{rng.getrandbits(256):064x}",
            "prompt_hash": f"{rng.getrandbits(256):064x}",
            "target_hash": f"{rng.getrandbits(256):064x}",
            "acc": float(picked == gold),
            "acc_norm": float(rng.random() < 0.4),
        }
        lines.append(as_lm_eval_writes(line))
    return b"\n".join(lines) + b"\n"


def gsm8k_file(docs: int, seed: int = 1) -> bytes:
    rng = random.Random(seed)
    lines = []
    shots = "\n\n".join(
        f"Question: {sentence(rng, 200)}?\nAnswer: {sentence(rng, 150)} #### {rng.randint(1, 99)}"
        for _ in range(5)
    )
    for index in range(docs):
        question = f"{accent(rng, sentence(rng, rng.randint(150, 400)))}?"
        answer = rng.randint(0, 999)
        reasoning = f"{sentence(rng, 300)} #### {answer if rng.random() < 0.5 else answer + 1}"
        prompt = f"{shots}\n\nQuestion: {question}\nAnswer:"
        for filter_name, filtered in (
            ("strict-match", str(answer) if rng.random() < 0.4 else "[invalid]"),
            ("flexible-extract", str(answer) if rng.random() < 0.5 else str(answer + 1)),
        ):
            line = {
                "doc_id": index,
                "doc": {"question": question, "answer": f"{sentence(rng, 200)} #### {answer}"},
                "target": f"{sentence(rng, 200)} #### {answer}",
                "arguments": {
                    "gen_args_0": {
                        "arg_0": prompt,
                        "arg_1": {
                            "until": ["Question:", "</s>", "<|im_end|>"],
                            "do_sample": False,
                            "temperature": 0.0,
                        },
                    }
                },
                "resps": [[reasoning]],
                "filtered_resps": [filtered],
                "filter": filter_name,
                "metrics": ["exact_match"],
                "doc_hash": f"{rng.getrandbits(256):064x}",
                "prompt_hash": f"{rng.getrandbits(256):064x}",
                "target_hash": f"{rng.getrandbits(256):064x}",
                "exact_match": float(filtered == str(answer)),
            }
            lines.append(as_lm_eval_writes(line))
    return b"\n".join(lines) + b"\n"


def floor(data: bytes) -> None:
    """`orjson.loads` of every line, the lines handed over as views (no copies, which
    `data.split(b"\\n")` would make: it costs about a third more)."""
    loads, find, whole, start, end = orjson.loads, data.find, memoryview(data), 0, len(data)
    while start < end:
        stop = find(b"\n", start)
        if stop < 0:
            stop = end
        if stop > start:
            loads(whole[start:stop])
        start = stop + 1


def timed(runs: dict[str, object], repeats: int, setup=None) -> dict[str, tuple[float, float]]:
    """name -> (median wall seconds, median CPU seconds) of each callable in `runs`, the
    callables taking turns so that all of them see the same machine. What a call returns is
    freed after its time is taken (a viewer keeps what it parsed)."""
    walls: dict[str, list[float]] = {name: [] for name in runs}
    cpus: dict[str, list[float]] = {name: [] for name in runs}
    for run in runs.values():  # one untimed warm-up each
        run()
    for _ in range(repeats):
        for name, run in runs.items():
            if setup is not None:
                setup()
            gc.collect()
            wall, cpu = time.perf_counter(), time.process_time()
            result = run()
            cpus[name].append(time.process_time() - cpu)
            walls[name].append(time.perf_counter() - wall)
            del result  # freeing what was read is not reading it: outside the timing
    return {name: (statistics.median(walls[name]), statistics.median(cpus[name])) for name in runs}


def main() -> int:
    parser = common.base_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=7, help="runs per median (7)")
    parser.add_argument(
        "--prompt-chars", type=int, default=1500, help="prompt length of the first file (1500)"
    )
    args = parser.parse_args()
    print(common.machine_line())
    files = [
        (f"hellaswag-like, {args.prompt_chars:,}-char prompts", "hellaswag", args.prompt_chars),
        ("hellaswag-like, 300-char prompts", "hellaswag", 300),
        ("gsm8k-like generation, 2 filters", "gsm8k", 0),
    ]
    rows, parsed = [], {}
    for name, task, prompt_chars in files:
        if task == "hellaswag":
            data = hellaswag_file(HELLASWAG_SAMPLES, prompt_chars)
        else:
            data = gsm8k_file(GSM8K_DOCS)
        lines = data.count(b"\n")
        result = parse_samples(data, task)
        assert len(result.samples) == lines and not result.skipped, result.reasons
        parsed.setdefault(task, result)
        del result
        times = timed(
            {"ours": lambda d=data, t=task: parse_samples(d, t), "floor": lambda d=data: floor(d)},
            args.repeats,
        )
        (ours, ours_cpu), (base, base_cpu) = times["ours"], times["floor"]
        print(
            f"{name}: {lines:,} samples, {len(data) / lines / 1000:.1f} kB a line: "
            f"parse_samples {ours * 1e3:.1f} ms, floor (orjson every line) {base * 1e3:.1f} ms, "
            f"ratio {ours / base:.2f} (CPU time: {ours_cpu * 1e3:.1f} ms, "
            f"{base_cpu * 1e3:.1f} ms, {ours_cpu / base_cpu:.2f})",
            flush=True,
        )
        rows.append(
            (
                name,
                f"{lines:,}",
                f"{len(data) / lines / 1000:.1f} kB",
                common.fmt_seconds(ours),
                common.fmt_seconds(base),
                f"{ours / base:.2f}x",
                common.fmt_seconds(ours_cpu),
                common.fmt_seconds(base_cpu),
                f"{ours_cpu / base_cpu:.2f}x",
            )
        )
    common.print_table(
        (
            *("file", "samples", "line", "parse_samples", "floor", "ratio"),
            *("CPU ours", "CPU floor", "CPU ratio"),
        ),
        rows,
        title=f"Parsing (median of {args.repeats}; ratio = ours / floor, lower is better)",
    )

    task = parsed["hellaswag"]
    word = task.samples[len(task.samples) // 2].prompt.split()[5]
    queries = [
        (f"search {word!r}", SampleQuery(search=word)),
        ("search that matches nothing", SampleQuery(search="zebra crossing")),
        ("outcome incorrect (acc)", SampleQuery(outcome=Outcome.INCORRECT)),
        ("incorrect + search, page 3", SampleQuery(outcome="incorrect", search=word, page=3)),
        ("all, page 200", SampleQuery(page=200)),
    ]
    view_rows = []
    for name, query in queries:
        cold = timed({"cold": lambda q=query: view(task, q)}, args.repeats, task._cache.clear)
        warm = timed({"warm": lambda q=query: view(task, q)}, args.repeats)
        page = view(task, query)
        view_rows.append(
            (
                name,
                f"{page.matching:,}",
                common.fmt_seconds(cold["cold"][0]),
                common.fmt_seconds(warm["warm"][0]),
            )
        )
    common.print_table(
        (f"view() at {len(task.samples):,} samples", "matching", *("cold", "warm")),
        view_rows,
        title="Querying: cold = first call on the parsed task, warm = a later call",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
