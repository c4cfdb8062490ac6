"""The baseline: the Hugging Face leaderboard template's way of building and querying a table.

A faithful re-implementation, for timing only, of
- `src/leaderboard/read_evals.py` of https://github.com/huggingface/leaderboard-template:
  `EvalResult.init_from_json_file`, `EvalResult.update_with_request_file`,
  `get_request_file_for_model`, `get_raw_eval_results`, `EvalResult.to_dict`;
- `src/populate.py` `get_leaderboard_df`;
- the search and filter callbacks of the template-era leaderboard `app.py`
  (`update_table` -> `filter_models` + `filter_queries` + `select_columns`), which operate
  on the whole un-indexed display frame on every call.

Differences, all in the template's favour or neutral:
- NO Hub call. The template calls `is_model_on_hub()` (an HTTP round trip to the Hub) for every
  results file inside `init_from_json_file`; here the call is left out, `architecture` stays
  "?" and `still_on_hub` is True. The template's real cost is higher by that call per file.
- `Precision` knows our precisions (8bit, 4bit, GPTQ, float32) so that every result finds its
  request file, as ours does; the template's knows float16/bfloat16 only and would print
  "Could not find request file" for the rest.
- `Tasks` are the six v2 benchmarks read as the template reads any task (first-level key of
  `results`, one metric, x100, no normalization), so the files are the same ones ours reads.
- Prints of the template are counted instead of written to the terminal.
"""

from __future__ import annotations

import glob
import json
import os
from dataclasses import dataclass, fields
from enum import Enum

import numpy as np
import pandas as pd

# --- src/display/utils.py + src/about.py (the parts read_evals and populate use) -------------


@dataclass
class Task:
    benchmark: str
    metric: str
    col_name: str


class Tasks(Enum):
    task0 = Task("leaderboard_ifeval", "prompt_level_strict_acc,none", "IFEval")
    task1 = Task("leaderboard_bbh", "acc_norm,none", "BBH")
    task2 = Task("leaderboard_math_hard", "exact_match,none", "MATH Lvl 5")
    task3 = Task("leaderboard_gpqa", "acc_norm,none", "GPQA")
    task4 = Task("leaderboard_musr", "acc_norm,none", "MUSR")
    task5 = Task("leaderboard_mmlu_pro", "acc,none", "MMLU-PRO")


@dataclass(frozen=True)
class ColumnContent:
    name: str
    type: str
    displayed_by_default: bool
    hidden: bool = False
    never_hidden: bool = False


@dataclass(frozen=True)
class AutoEvalColumnClass:
    model_type_symbol: ColumnContent
    model: ColumnContent
    average: ColumnContent
    task0: ColumnContent
    task1: ColumnContent
    task2: ColumnContent
    task3: ColumnContent
    task4: ColumnContent
    task5: ColumnContent
    model_type: ColumnContent
    architecture: ColumnContent
    weight_type: ColumnContent
    precision: ColumnContent
    license: ColumnContent
    params: ColumnContent
    likes: ColumnContent
    still_on_hub: ColumnContent
    revision: ColumnContent
    dummy: ColumnContent  # the plain model name the search reads (hidden)


AutoEvalColumn = AutoEvalColumnClass(
    model_type_symbol=ColumnContent("T", "str", True, never_hidden=True),
    model=ColumnContent("Model", "markdown", True, never_hidden=True),
    average=ColumnContent("Average ⬆️", "number", True),
    **{
        task.name: ColumnContent(task.value.col_name, "number", True)
        for task in Tasks  # task0..task5
    },
    model_type=ColumnContent("Type", "str", False),
    architecture=ColumnContent("Architecture", "str", False),
    weight_type=ColumnContent("Weight type", "str", False, True),
    precision=ColumnContent("Precision", "str", False),
    license=ColumnContent("Hub License", "str", False),
    params=ColumnContent("#Params (B)", "number", False),
    likes=ColumnContent("Hub ❤️", "number", False),
    still_on_hub=ColumnContent("Available on the hub", "bool", False),
    revision=ColumnContent("Model sha", "str", False, False),
    dummy=ColumnContent("model_name_for_query", "str", False, hidden=True),
)
COLS = [
    getattr(AutoEvalColumn, f.name).name
    for f in fields(AutoEvalColumnClass)
    if not getattr(AutoEvalColumn, f.name).hidden
] + [AutoEvalColumn.dummy.name]
BENCHMARK_COLS = [t.value.col_name for t in Tasks]


@dataclass
class ModelDetails:
    name: str
    display_name: str = ""
    symbol: str = ""


class ModelType(Enum):
    PT = ModelDetails(name="pretrained", symbol="🟢")
    FT = ModelDetails(name="fine-tuned", symbol="🔶")
    IFT = ModelDetails(name="instruction-tuned", symbol="⭕")
    RL = ModelDetails(name="RL-tuned", symbol="🟦")
    Unknown = ModelDetails(name="", symbol="?")

    @staticmethod
    def from_str(type):  # the template's signature
        if "fine-tuned" in type or "🔶" in type:
            return ModelType.FT
        if "pretrained" in type or "🟢" in type:
            return ModelType.PT
        if "RL-tuned" in type or "🟦" in type:
            return ModelType.RL
        if "instruction-tuned" in type or "⭕" in type:
            return ModelType.IFT
        return ModelType.Unknown


class WeightType(Enum):
    Adapter = ModelDetails("Adapter")
    Original = ModelDetails("Original")
    Delta = ModelDetails("Delta")


class Precision(Enum):
    float16 = ModelDetails("float16")
    bfloat16 = ModelDetails("bfloat16")
    float32 = ModelDetails("float32")  # added: see the module docstring
    int8 = ModelDetails("8bit")  # added
    int4 = ModelDetails("4bit")  # added
    gptq = ModelDetails("GPTQ")  # added
    Unknown = ModelDetails("?")

    @staticmethod
    def from_str(precision):
        if precision in ["torch.float16", "float16"]:
            return Precision.float16
        if precision in ["torch.bfloat16", "bfloat16"]:
            return Precision.bfloat16
        if precision in ["torch.float32", "float32"]:
            return Precision.float32
        if precision in ["torch.8bit", "8bit"]:
            return Precision.int8
        if precision in ["torch.4bit", "4bit"]:
            return Precision.int4
        if precision in ["torch.GPTQ", "GPTQ"]:
            return Precision.gptq
        return Precision.Unknown


# --- src/display/formatting.py ----------------------------------------------------------------


def model_hyperlink(link, model_name):
    return (
        f'<a target="_blank" href="{link}" style="color: var(--link-text-color); '
        f'text-decoration: underline;text-decoration-style: dotted;">{model_name}</a>'
    )


def make_clickable_model(model_name):
    link = f"https://huggingface.co/{model_name}"
    return model_hyperlink(link, model_name)


def has_no_nan_values(df, columns):
    return df[columns].notna().all(axis=1)


# --- src/leaderboard/read_evals.py ------------------------------------------------------------

PRINTED: list[str] = []  # the template prints; we count


@dataclass
class EvalResult:
    eval_name: str
    full_model: str
    org: str
    model: str
    revision: str
    results: dict
    precision: Precision = Precision.Unknown
    model_type: ModelType = ModelType.Unknown
    weight_type: WeightType = WeightType.Original
    architecture: str = "Unknown"
    license: str = "?"
    likes: int = 0
    num_params: int = 0
    date: str = ""
    still_on_hub: bool = False

    @classmethod
    def init_from_json_file(cls, json_filepath):
        with open(json_filepath) as fp:
            data = json.load(fp)

        config = data.get("config")

        precision = Precision.from_str(config.get("model_dtype"))

        org_and_model = config.get("model_name", config.get("model_args", None))
        org_and_model = org_and_model.split("/", 1)

        if len(org_and_model) == 1:
            org = None
            model = org_and_model[0]
            result_key = f"{model}_{precision.value.name}"
        else:
            org = org_and_model[0]
            model = org_and_model[1]
            result_key = f"{org}_{model}_{precision.value.name}"
        full_model = "/".join(org_and_model)

        # The template: still_on_hub, _, model_config = is_model_on_hub(full_model, ...)
        # (one Hub request per file). Left out here: no network, and it would dominate.
        still_on_hub, model_config = True, None
        architecture = "?"
        if model_config is not None:
            architectures = getattr(model_config, "architectures", None)
            if architectures:
                architecture = ";".join(architectures)

        results = {}
        for task in Tasks:
            task = task.value
            accs = np.array(
                [
                    v.get(task.metric, None)
                    for k, v in data["results"].items()
                    if task.benchmark == k
                ]
            )
            if accs.size == 0 or any([acc is None for acc in accs]):
                continue
            mean_acc = np.mean(accs) * 100.0
            results[task.benchmark] = mean_acc

        return cls(
            eval_name=result_key,
            full_model=full_model,
            org=org,
            model=model,
            results=results,
            precision=precision,
            revision=config.get("model_sha", ""),
            still_on_hub=still_on_hub,
            architecture=architecture,
        )

    def update_with_request_file(self, requests_path):
        request_file = get_request_file_for_model(
            requests_path, self.full_model, self.precision.value.name
        )
        try:
            with open(request_file) as f:
                request = json.load(f)
            self.model_type = ModelType.from_str(request.get("model_type", ""))
            self.weight_type = WeightType[request.get("weight_type", "Original")]
            self.license = request.get("license", "?")
            self.likes = request.get("likes", 0)
            self.num_params = request.get("params", 0)
            self.date = request.get("submitted_time", "")
        except Exception:
            PRINTED.append(
                f"Could not find request file for {self.org}/{self.model} "
                f"with precision {self.precision.value.name}"
            )

    def to_dict(self):
        average = sum([v for v in self.results.values() if v is not None]) / len(Tasks)
        data_dict = {
            "eval_name": self.eval_name,
            AutoEvalColumn.precision.name: self.precision.value.name,
            AutoEvalColumn.model_type.name: self.model_type.value.name,
            AutoEvalColumn.model_type_symbol.name: self.model_type.value.symbol,
            AutoEvalColumn.weight_type.name: self.weight_type.value.name,
            AutoEvalColumn.architecture.name: self.architecture,
            AutoEvalColumn.model.name: make_clickable_model(self.full_model),
            AutoEvalColumn.dummy.name: self.full_model,
            AutoEvalColumn.revision.name: self.revision,
            AutoEvalColumn.average.name: average,
            AutoEvalColumn.license.name: self.license,
            AutoEvalColumn.likes.name: self.likes,
            AutoEvalColumn.params.name: self.num_params,
            AutoEvalColumn.still_on_hub.name: self.still_on_hub,
        }
        for task in Tasks:
            data_dict[task.value.col_name] = self.results[task.value.benchmark]
        return data_dict


def get_request_file_for_model(requests_path, model_name, precision):
    request_files = os.path.join(requests_path, f"{model_name}_eval_request_*.json")
    request_files = glob.glob(request_files)
    request_file = ""
    request_files = sorted(request_files, reverse=True)
    for tmp_request_file in request_files:
        with open(tmp_request_file) as f:
            req_content = json.load(f)
            if (
                req_content["status"] in ["FINISHED"]
                and req_content["precision"] == precision.split(".")[-1]
            ):
                request_file = tmp_request_file
    return request_file


def get_raw_eval_results(results_path: str, requests_path: str) -> list[EvalResult]:
    model_result_filepaths = []
    for root, _, files in os.walk(results_path):
        if len(files) == 0 or any([not f.endswith(".json") for f in files]):
            continue
        files.sort(key=lambda x: x.removesuffix(".json").removeprefix("results_")[:-7])
        for file in files:
            model_result_filepaths.append(os.path.join(root, file))

    eval_results = {}
    for model_result_filepath in model_result_filepaths:
        eval_result = EvalResult.init_from_json_file(model_result_filepath)
        eval_result.update_with_request_file(requests_path)
        eval_name = eval_result.eval_name
        if eval_name in eval_results:
            eval_results[eval_name].results.update(
                {k: v for k, v in eval_result.results.items() if v is not None}
            )
        else:
            eval_results[eval_name] = eval_result

    results = []
    for v in eval_results.values():
        try:
            v.to_dict()
            results.append(v)
        except KeyError:
            continue
    return results


# --- src/populate.py --------------------------------------------------------------------------


def get_leaderboard_df(
    results_path: str, requests_path: str, cols: list = COLS, benchmark_cols: list = BENCHMARK_COLS
) -> pd.DataFrame:
    raw_data = get_raw_eval_results(results_path, requests_path)
    all_data_json = [v.to_dict() for v in raw_data]
    df = pd.DataFrame.from_records(all_data_json)
    df = df.sort_values(by=[AutoEvalColumn.average.name], ascending=False)
    df = df[cols].round(decimals=2)
    df = df[has_no_nan_values(df, benchmark_cols)]
    return df


# --- the template-era app.py callbacks (search / filter / select columns) ---------------------

NUMERIC_INTERVALS = {
    "?": pd.Interval(-1, 0, closed="right"),
    "~1.5": pd.Interval(0, 2, closed="right"),
    "~3": pd.Interval(2, 4, closed="right"),
    "~7": pd.Interval(4, 9, closed="right"),
    "~13": pd.Interval(9, 20, closed="right"),
    "~35": pd.Interval(20, 45, closed="right"),
    "~60": pd.Interval(45, 70, closed="right"),
    "70+": pd.Interval(70, 10000, closed="right"),
}


def search_table(df: pd.DataFrame, query: str) -> pd.DataFrame:
    return df[(df[AutoEvalColumn.dummy.name].str.contains(query, case=False))]


def select_columns(df: pd.DataFrame, columns: list) -> pd.DataFrame:
    always_here_cols = [AutoEvalColumn.model_type_symbol.name, AutoEvalColumn.model.name]
    return df[
        always_here_cols
        + [c for c in COLS if c in df.columns and c in columns]
        + [AutoEvalColumn.dummy.name]
    ]


def filter_queries(query: str, filtered_df: pd.DataFrame) -> pd.DataFrame:
    if query != "":
        queries = [q.strip() for q in query.split(";")]
        final_df = []
        for _q in queries:
            _q = _q.strip()
            if _q != "":
                temp_filtered_df = search_table(filtered_df, _q)
                if len(temp_filtered_df) > 0:
                    final_df.append(temp_filtered_df)
        if len(final_df) > 0:
            filtered_df = pd.concat(final_df)
            filtered_df = filtered_df.drop_duplicates(
                subset=[
                    AutoEvalColumn.model.name,
                    AutoEvalColumn.precision.name,
                    AutoEvalColumn.revision.name,
                ]
            )
    return filtered_df


def filter_models(
    df: pd.DataFrame, type_query: list, size_query: list, precision_query: list, show_deleted: bool
) -> pd.DataFrame:
    if show_deleted:  # noqa: SIM108  (the template's code, kept as written)
        filtered_df = df
    else:
        filtered_df = df[df[AutoEvalColumn.still_on_hub.name] == True]  # noqa: E712
    type_emoji = [t[0] for t in type_query]
    filtered_df = filtered_df.loc[df[AutoEvalColumn.model_type_symbol.name].isin(type_emoji)]
    filtered_df = filtered_df.loc[
        df[AutoEvalColumn.precision.name].isin([*precision_query, "None"])
    ]
    numeric_interval = pd.IntervalIndex(sorted([NUMERIC_INTERVALS[s] for s in size_query]))
    params_column = pd.to_numeric(df[AutoEvalColumn.params.name], errors="coerce")
    mask = params_column.apply(lambda x: any(numeric_interval.contains(x)))
    filtered_df = filtered_df.loc[mask]
    return filtered_df


def update_table(
    hidden_df: pd.DataFrame,
    columns: list,
    type_query: list,
    precision_query: list,
    size_query: list,
    show_deleted: bool,
    query: str,
) -> pd.DataFrame:
    filtered_df = filter_models(hidden_df, type_query, size_query, precision_query, show_deleted)
    filtered_df = filter_queries(query, filtered_df)
    return select_columns(filtered_df, columns)
