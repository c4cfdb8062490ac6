"""Every sentence the app shows, in one place (as the leaderboard template keeps `about`)."""

from __future__ import annotations

from leaderboard.backend.spec import lm_eval_command
from leaderboard.suites import Suite

TITLE = "🏆 Open LLM Leaderboard"

INTRODUCTION = (
    "Compare open large language models on the same benchmarks, run the same way, with "
    "[EleutherAI's lm-evaluation-harness](https://github.com/EleutherAI/lm-evaluation-harness). "
    "Search, filter, choose columns and sort; the address bar always holds the current view, "
    "so you can share it."
)

SEARCH_PLACEHOLDER = (
    "🔍 Search models: `llama; mistral` (either), `qwen @license:apache` (both); "
    "fields: @license: @type: @precision: @architecture: (up to 8 words)"
)

FAQ = """
### FAQ

**Why is my model not on the board?** Only models whose evaluation finished are shown. Open
the *Queue* tab to see whether it is pending, running or failed, and why it failed.

**Why do two models share a rank?** Ranks follow the Average as shown (two decimals); equal
averages share a rank, and the next rank is skipped, as in sports tables.

**How sure is a score?** Each benchmark is a sample of questions, so each score has a
sampling error: the *±* columns (*Columns and sorting*; hidden by default) give the half-width
of its 95% confidence interval, 1.96 standard errors, from the results file's stderr or, where
the file gives none, estimated from the number of questions *n* as `sqrt(p(1-p)/(n-1))`. The
Average's combines its benchmarks' as independent: `1.96 × sqrt(Σ seᵢ²) / k`. Two models whose
intervals overlap are not clearly told apart by these benchmarks.

**Why do two models share a rank?** *Rank* respects those intervals, by the rule LMArena
uses: a model's rank is 1 + the number of models whose Average interval lies wholly above its
own, `rank = 1 + #{j : lowerⱼ > upperᵢ}` with `lower, upper = Average ∓ 1.96 se`. Models whose
intervals overlap share a rank, and the board draws each group of tied rows as one band; the
order within a band is still by Average.

**How do I look inside a score?** Click a model: its page has every benchmark and subtask
with its interval, its ranks, how it was evaluated and the command that reproduces it, and,
where the evaluation logged its samples, each question with the model's answer (filter the
wrong ones, search the text). The *Compare* tab puts two to four models side by side and
tests, sample by sample, whether they really differ.

**What do "Merged", "MoE" and "Flagged" mean?** *Merged*: the model is a merge of other
models (tagged `merge` or `mergekit` on the Hub, or submitted as a merge). *MoE*: a mixture of
experts (tagged `moe`, or `moe` in its name). *Flagged*: the operator flagged it, usually for
suspected benchmark contamination; the *Hide* filters remove such rows.

**Why is a score empty?** The results hold no value for that benchmark run with the
benchmark's few-shot setting. The Average is only given when every benchmark has a score.

**How is the CO₂ cost computed?** Evaluation time × the evaluation machine's power × the
grid's carbon intensity, with the operator's settings (`LEADERBOARD_CO2_POWER_KW`,
`LEADERBOARD_CO2_GRID_G_PER_KWH`).

**How are speed, latency and memory measured?** After the benchmarks, in the same process and
on the same hardware, the worker runs a fixed generation workload: the first 64, 512 and 2,048
tokens of a fixed English passage (cut to the model's context window), each answered greedily
with exactly 64 new tokens, then a batch of 8 copies of the 512-token prompt. *Speed* is the
median output speed at batch size 1, (64 − 1) tokens over the time from the first new token to
the last, so without the prompt's prefill; *TTFT* is the median time from the call to the first
new token; *Batch speed* is all new tokens of the batch over its whole time. *Load time* is
loading the model; *Peak memory* is the GPUs' peak allocated memory (the process's peak RSS on
a CPU) over the whole evaluation; *GPU-hours* are the evaluation's wall time (load and
benchmarks) times its GPUs, and *Score per GPU-hour* the Average divided by them. *Context* is
the model's context window from its config. Figures from different hardware do not compare:
filter with `@hardware:` (e.g. `@hardware:h100`); the model page names the hardware, backend,
dtype and batch size of each figure.

**Can I query the board from code?** Yes: `gradio_client.Client(url).predict(search="llama",
api_name="/query")` returns the rows; `python -m leaderboard table --json` does the same
from a terminal.
"""


SUBMIT_GUIDE = """
### Submit a model for evaluation

Your model is evaluated with the leaderboard's benchmarks and appears on the board when the
evaluation finishes; follow it in the *Queue* tab. Before you submit, check that:

1. **It loads with the AutoClasses**, without remote code:
   `AutoConfig.from_pretrained("org/model", revision=...)`,
   `AutoModelForCausalLM.from_pretrained(...)` and `AutoTokenizer.from_pretrained(...)`.
   Models that need `trust_remote_code=True` are refused: remote code is never run.
2. **Its weights are safetensors** (`save_pretrained(..., safe_serialization=True)`): the
   leaderboard reads the parameter count from them, and they load faster and safely.
3. **It is public and not gated**, with a **license** in its model card's metadata.
4. **It has a model card** (README.md) of at least a few sentences: what the model is, what
   it was trained on, what it is for.
5. **For chat models**, tick *Use chat template* if the tokenizer has one; the benchmarks are
   then run with it (`--apply_chat_template --fewshot_as_multiturn`).
6. **Adapters and deltas** name their base model; an adapter's size counts its base model.

The revision is pinned to the commit it resolves to when you submit; a later push to the same
branch needs a new submission.
"""


def benchmarks_markdown(suite: Suite) -> str:
    lines = [f"## {suite.title}", "", suite.description, "", "### Benchmarks", ""]
    lines.append("| Benchmark | Shots | Metric | What it measures |")
    lines.append("|---|---|---|---|")
    for benchmark in suite.benchmarks:
        label = f"[{benchmark.label}]({benchmark.paper})" if benchmark.paper else benchmark.label
        shots = "" if benchmark.n_shot is None else str(benchmark.n_shot)
        lines.append(f"| {label} | {shots} | {benchmark.metric_label} | {benchmark.description} |")
    lines += ["", "### How scores are computed", "", suite.normalization]
    return "\n".join(lines)


def reproduce_command(suite: Suite, *, chat_template: bool = False) -> str:
    """The exact lm-eval command(s) that produce a results file of this suite: the worker's
    own command builder (`backend.spec.lm_eval_command`), with placeholders to fill in."""
    return lm_eval_command(
        "<org>/<model>",
        revision="<commit sha>",
        precision="<precision>",
        chat_template=chat_template,
        suite=suite,
        include_path="<this repo>/src/leaderboard/tasks",
    ).shell
