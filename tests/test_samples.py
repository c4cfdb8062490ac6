"""lm-eval's per-sample files read for the viewer (`leaderboard.samples`).

The literal lines below are copied from files lm-eval 0.4.13 wrote for the sample suite on the
tiny model; the variants change one thing each, as real leaderboard files (older lm-eval, IFEval,
GSM8K's two filters) and hostile ones do. The last tests read the files a real `lm_eval` run
writes (the `harness_run` fixture) and publish them as the worker does.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import orjson
import pytest

from leaderboard import samples as samples_module
from leaderboard.backend.publish import claim_stamp, publish_results
from leaderboard.domain import EvalRequest, Precision, Status
from leaderboard.errors import ParseError, QueryError
from leaderboard.sample_query import PAGE_SIZE_MAX, SEARCH_MAX_CHARS, Outcome, SampleQuery, view
from leaderboard.samples import (
    MAX_CHOICES,
    MAX_TEXT_CHARS,
    DetailsPath,
    Sample,
    details_path,
    parse_details_path,
    parse_samples,
    task_of_samples_file,
)
from leaderboard.stores import LocalStore

PROMPT = "Question: How many days are there in a leap year?\nAnswer:"
# Line 2 of samples_sample_mc_<timestamp>.jsonl (lm-eval 0.4.13, output_type multiple_choice).
MC_LINE = {
    "doc_id": 1,
    "doc": {
        "id": "mc-02",
        "question": "How many days are there in a leap year?",
        "choices": ["364", "365", "366", "367"],
        "answer": 2,
    },
    "target": "2",
    "arguments": {
        "gen_args_0": {"arg_0": PROMPT, "arg_1": " 364"},
        "gen_args_1": {"arg_0": PROMPT, "arg_1": " 365"},
        "gen_args_2": {"arg_0": PROMPT, "arg_1": " 366"},
        "gen_args_3": {"arg_0": PROMPT, "arg_1": " 367"},
    },
    "resps": [
        [["-13.406074523925781", "False"]],
        [["-13.715581893920898", "False"]],
        [["-13.21870231628418", "False"]],
        [["-13.5225830078125", "False"]],
    ],
    "filtered_resps": [
        ["-13.406074523925781", "False"],
        ["-13.715581893920898", "False"],
        ["-13.21870231628418", "False"],
        ["-13.5225830078125", "False"],
    ],
    "filter": "none",
    "metrics": ["acc", "acc_norm"],
    "doc_hash": "8c4b7204ea2e5b0512ccefd1ec529f51a8ecf85fd65cac32a276527e44104fc3",
    "prompt_hash": "72a1af90a3c83a7ce4308ff84d56ee5a1f00d42d2ae007c92d2ffa0854b9621a",
    "target_hash": "d4735e3a265e16eee03f59718b9b5d03019c07d8b6c51f90da3a666eec13ab35",
    "acc": 1.0,
    "acc_norm": 1.0,
}
# Line 6 of samples_sample_gen_<timestamp>.jsonl (output_type generate_until).
GEN_LINE = {
    "doc_id": 5,
    "doc": {"id": "gen-06", "question": "What is 8 times 5?", "answer": "40"},
    "target": "40",
    "arguments": {
        "gen_args_0": {
            "arg_0": "Question: What is 8 times 5?\nAnswer:",
            "arg_1": {
                "until": ["\n", "Question:"],
                "max_gen_toks": 8,
                "do_sample": False,
                "temperature": 0.0,
            },
        }
    },
    "resps": [["::::::::"]],
    "filtered_resps": ["::::::::"],
    "filter": "none",
    "metrics": ["exact_match"],
    "doc_hash": "cdb89cfb2e7d542875712533410ed85d15ec68ca51c06a4df99d4310e5292ea8",
    "prompt_hash": "780d592499f08728e6afebddb9b522403586e632fd87bfe5d7c9a9c94ec1b6b4",
    "target_hash": "d59eced1ded07f84c145592f65bdf854358e009c5cd705f5215bf18697fed103",
    "exact_match": 0.0,
}
CHOICES = (" 364", " 365", " 366", " 367")
LOGLIKS = (-13.406074523925781, -13.715581893920898, -13.21870231628418, -13.5225830078125)


def mc(**changes: object) -> dict:
    line = copy.deepcopy(MC_LINE)
    line.update(changes)
    return line


def gen(**changes: object) -> dict:
    line = copy.deepcopy(GEN_LINE)
    line.update(changes)
    return line


def without(line: dict, *keys: str) -> dict:
    return {key: value for key, value in line.items() if key not in keys}


def jsonl(*lines: dict | bytes) -> bytes:
    return b"\n".join(line if isinstance(line, bytes) else orjson.dumps(line) for line in lines)


def one(line: dict) -> Sample:
    task = parse_samples(jsonl(line), "t")
    assert (task.skipped, task.reasons) == (0, ())
    (sample,) = task.samples
    # The fast path reads as the careful one does (repr: a NaN equals no other NaN)
    assert repr(sample) == repr(samples_module._careful_sample(line))
    return sample


def pairs(values: tuple[float, ...], raw: bool) -> list:
    return [[[str(v), "False"]] if raw else [str(v), "False"] for v in values]


# --- the two real lines -------------------------------------------------------------------------


def test_a_real_multiple_choice_line():
    assert one(MC_LINE) == Sample(
        doc_id=1,
        filter="none",
        prompt=PROMPT,
        choices=CHOICES,
        loglikelihoods=LOGLIKS,
        target="366",
        response=" 366",
        filtered=" 366",
        chosen=2,
        metrics=(("acc", 1.0), ("acc_norm", 1.0)),
        doc_hash=MC_LINE["doc_hash"],
    )


def test_a_real_generation_line():
    assert one(GEN_LINE) == Sample(
        doc_id=5,
        filter="none",
        prompt="Question: What is 8 times 5?\nAnswer:",
        choices=(),
        loglikelihoods=(),
        target="40",
        response="::::::::",
        filtered="::::::::",
        chosen=None,
        metrics=(("exact_match", 0.0),),
        doc_hash=GEN_LINE["doc_hash"],
    )


def test_the_task_lists_metrics_and_filters_in_first_seen_order():
    task = parse_samples(jsonl(GEN_LINE, MC_LINE, mc(filter="other")), "mixed")
    assert task.task == "mixed"
    assert task.metrics == ("exact_match", "acc", "acc_norm")
    assert task.filters == ("none", "other")
    assert [s.doc_id for s in task.samples] == [5, 1, 1]
    assert task.bytes_read == len(jsonl(GEN_LINE, MC_LINE, mc(filter="other")))


# --- shapes real files have ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "target"),
    [
        (mc(target="2"), "366"),  # an index as text (lm-eval 0.4.13)
        (mc(target=2), "366"),  # an index as a number
        (mc(target=0), "364"),
        (mc(target=[1, "3"]), "365 | 367"),  # several acceptable answers
        (mc(target="366"), "366"),  # digits, but no index: the text itself
        (mc(target=7), "7"),  # an index out of range
        (mc(target="B"), "B"),
        (mc(target=None), ""),
        (mc(target=True), "True"),  # a bool is no index
        (gen(target="40"), "40"),  # digits, no choices: text
        (gen(target=40), "40"),
        (gen(target=["40", "forty"]), "40 | forty"),
        (gen(target={"answer": 40}), '{"answer":40}'),
        (gen(target=2.5), "2.5"),
        (without(gen(), "target"), ""),
    ],
)
def test_each_target_shape_reads_as_the_answers_text(line, target):
    assert one(line).target == target


@pytest.mark.parametrize(
    ("resps", "filtered_resps", "loglikelihoods", "response", "chosen"),
    [
        # raw and filtered agree: the real line
        (pairs(LOGLIKS, True), pairs(LOGLIKS, False), LOGLIKS, " 366", 2),
        # numbers, not text (lm-eval before 0.4.3)
        (
            [[[-1.0, False]], [[-0.5, True]], [[-3.0, False]], [[-2.0, False]]],
            [[-1.0, False], [-0.5, True], [-3.0, False], [-2.0, False]],
            (-1.0, -0.5, -3.0, -2.0),
            " 365",
            1,
        ),
        # filtered_resps of bare numbers
        (pairs((-4, -3, -2, -1), True), [-4.0, -3.0, -2.0, -1.0], (-4, -3, -2, -1), " 367", 3),
        # raw and filtered disagree: the response is the raw argmax, `chosen` the filtered one
        (
            pairs((-1, -2, -3, -4), True),
            pairs((-4, -3, -2, -1), False),
            (-1, -2, -3, -4),
            " 364",
            3,
        ),
        # a tie: the first, as numpy's argmax that lm-eval scores with
        (
            pairs((-2, -1, -1, -3), True),
            pairs((-2, -1, -1, -3), False),
            (-2, -1, -1, -3),
            " 365",
            1,
        ),
        # no usable raw resps: the filtered ones stand in
        ("garbled", pairs((-9, -1, -8, -7), False), (-9, -1, -8, -7), " 365", 1),
        # what str(float) writes and JSON has no number for
        (
            pairs(("-inf", -1.5, "nan", -2.5), True),
            pairs(("-inf", -1.5, "nan", -2.5), False),
            (float("-inf"), -1.5, float("nan"), -2.5),
            " 365",
            1,
        ),
    ],
)
def test_the_chosen_choice_is_the_argmax_log_likelihood(
    resps, filtered_resps, loglikelihoods, response, chosen
):
    sample = one(mc(resps=resps, filtered_resps=filtered_resps))
    assert str(sample.loglikelihoods) == str(tuple(float(v) for v in loglikelihoods))  # nan
    assert (sample.response, sample.chosen, sample.filtered) == (response, chosen, CHOICES[chosen])


def test_lm_eval_0_4_0_lists_of_arguments_read_as_objects_do():
    line = mc(arguments=[[PROMPT, choice] for choice in CHOICES])
    assert one(line) == one(MC_LINE)


@pytest.mark.parametrize(
    ("extra", "names", "expected"),
    [
        ({"acc": 1.0}, ["acc"], (("acc", 1.0),)),
        ({"acc": 1}, ["acc"], (("acc", 1.0),)),
        # IFEval: bools per prompt, a list of bools per instruction (their mean)
        (
            {"prompt_level_strict_acc": True, "inst_level_strict_acc": [True, False, True, True]},
            ["prompt_level_strict_acc", "inst_level_strict_acc"],
            (("prompt_level_strict_acc", 1.0), ("inst_level_strict_acc", 0.75)),
        ),
        (
            {"prompt_level_loose_acc": False},
            ["prompt_level_loose_acc"],
            (
                (
                    "prompt_level_loose_acc",
                    0.0,
                ),
            ),
        ),
        # not numbers, or not there: left out, the rest kept
        (
            {"exact_match": 1.0, "note": "x", "nested": {"a": 1}, "empty": []},
            ["exact_match", "note", "nested", "empty", "missing", 7],
            (("exact_match", 1.0),),
        ),
        ({"bleu": 31.5}, ["bleu"], (("bleu", 31.5),)),
        ({"big": [1e308, 1e308]}, ["big"], (("big", float("inf")),)),  # no overflow error
    ],
)
def test_metrics_are_numbers_bools_and_means_of_lists(extra, names, expected):
    line = without(gen(), "exact_match")
    line.update(extra, metrics=names)
    assert one(line).metrics == expected


def test_lines_without_a_metrics_list_read_their_numeric_top_level_keys():
    # lm-eval before 0.4.4 wrote neither `filter` nor `metrics`: the metric is a top-level key.
    line = without(mc(), "filter", "metrics", "acc")
    sample = one(line)
    assert sample.metrics == (("acc_norm", 1.0),)
    assert sample.filter == "none"


@pytest.mark.parametrize(
    ("metrics", "correct"),
    [
        ((("acc", 1.0),), True),
        ((("acc", 0.0),), False),
        ((("acc", 0.75),), None),
        ((("acc", 31.5),), None),
        ((("other", 1.0),), None),
        ((), None),
    ],
)
def test_correct_is_only_said_of_zero_and_one(metrics, correct):
    sample = Sample(1, "none", "", (), (), "", "", "", None, metrics, "")
    assert sample.correct("acc") is correct
    assert sample.value("acc") == dict(metrics).get("acc")


def test_several_filters_write_several_lines_per_document():
    lines = [
        gen(doc_id=doc, filter=name, filtered_resps=[answer], exact_match=float(answer == "40"))
        for doc in range(3)
        for name, answer in (("strict-match", "[invalid]"), ("flexible-extract", "40"))
    ]
    task = parse_samples(jsonl(*lines), "gsm8k")
    assert task.filters == ("strict-match", "flexible-extract")
    assert len(task.samples) == 6
    strict = view(task, SampleQuery())
    assert (strict.filter, strict.total, strict.metric) == ("strict-match", 3, "exact_match")
    assert {s.filtered for s in strict.rows} == {"[invalid]"}
    flexible = view(task, SampleQuery(filter="flexible-extract", outcome="correct"))
    assert (flexible.total, flexible.matching) == (3, 3)
    assert view(task, SampleQuery(filter="strict-match", outcome="correct")).matching == 0


def test_blank_lines_crlf_a_bom_and_nan_metrics_are_read():
    data = b"\xef\xbb\xbf" + jsonl(MC_LINE) + b"\r\n\n   \n" + jsonl(GEN_LINE) + b"\r\n"
    nan = orjson.dumps(gen(doc_id=9)).replace(b'"exact_match":0.0', b'"exact_match":NaN')
    task = parse_samples(data + nan, "t")
    assert (len(task.samples), task.skipped) == (3, 0)
    assert [s.doc_id for s in task.samples] == [1, 5, 9]
    assert task.samples[2].value("exact_match") != task.samples[2].value("exact_match")  # NaN
    assert task.samples[2].correct("exact_match") is None


# --- hostile lines ------------------------------------------------------------------------------

MB = 1 << 20


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"this is not JSON", "not JSON"),
        (b'{"doc_id": 1,', "not JSON"),
        (b"\xff\xfe{}", "not JSON"),
        (b"[1, 2, 3]", "not a JSON object"),
        (b'"a string"', "not a JSON object"),
        (b"[" * 5000 + b"]" * 5000, "not JSON"),  # deeper than any parser should follow
        (b'{"doc_id": 1, "x": ' + b"[" * 2000 + b"]" * 2000 + b"}", "not JSON"),
        (orjson.dumps(mc(doc_id="1")), "doc_id is missing or not an integer"),
        (orjson.dumps(without(mc(), "doc_id")), "doc_id is missing or not an integer"),
        (orjson.dumps(mc(filter=3)), "filter is not a short text"),
        (orjson.dumps(mc(filter="f" * 101)), "filter is not a short text"),
        (orjson.dumps(mc(arguments="x")), "arguments is missing or not an object"),
        (orjson.dumps(mc(arguments={})), "arguments is empty"),
        (orjson.dumps(mc(arguments={"gen_args_0": 5})), "an argument is not an object"),
        (orjson.dumps(mc(arguments={"a": {"arg_0": 5, "arg_1": " x"}})), "the prompt"),
        (
            orjson.dumps(mc(arguments={"a": {"arg_0": "p", "arg_1": " x"}, "b": {"arg_0": "p"}})),
            "a choice (an argument's arg_1) is not text",
        ),
        (orjson.dumps(mc(resps=[], filtered_resps=None)), "no log-likelihood per choice"),
        (orjson.dumps(mc(resps=pairs((-1,), True), filtered_resps=[])), "(4 choices)"),
        (orjson.dumps(mc(resps=[[["x", "y"]]] * 4, filtered_resps=3)), "no log-likelihood"),
        (orjson.dumps(mc(resps=[[[{}, "y"]]] * 4, filtered_resps=[[]] * 4)), "no log-likelihood"),
    ],
)
def test_a_bad_line_is_skipped_with_its_reason(line, reason):
    task = parse_samples(jsonl(MC_LINE, line, GEN_LINE), "t")
    assert [s.doc_id for s in task.samples] == [1, 5]
    assert task.skipped == 1
    (said,) = task.reasons
    assert said.startswith("line 2: ") and reason in said


def test_numbers_too_large_for_a_float_skip_the_line():
    # orjson reads a huge integer as a float; `json`, which reads the lines with NaN, does not.
    huge = b"1" + b"0" * 400
    line = orjson.dumps(gen(acc=1.0, metrics=["acc", "exact_match"]))
    line = line.replace(b'"acc":1.0', b'"acc":' + huge)
    line = line.replace(b'"exact_match":0.0', b'"exact_match":NaN')
    task = parse_samples(jsonl(MC_LINE, line), "t")
    assert (len(task.samples), task.reasons) == (1, ("line 2: a number is too large for a float",))


def test_wrong_types_inside_a_sample_are_shown_as_text_not_refused():
    line = gen(resps=[[{"text": "hi"}]], filtered_resps=[None], target=[1, [2, 3]], doc_hash=7)
    sample = one(line)
    assert (sample.response, sample.filtered) == ('{"text":"hi"}', "")
    assert (sample.target, sample.doc_hash) == ("1 | [2,3]", "")


def test_huge_texts_are_cut():
    big = "ab" * MB  # a 2 MB prompt, response and target
    line = gen(resps=[[big]], filtered_resps=[big], target=[big, "x"])
    line["arguments"]["gen_args_0"]["arg_0"] = big
    sample = one(line)
    for text in (sample.prompt, sample.response, sample.filtered, sample.target):
        assert len(text) == MAX_TEXT_CHARS and text.endswith("…") and text.startswith("abab")
    long_choice = mc()
    long_choice["arguments"]["gen_args_1"]["arg_1"] = "c" * MB
    sample = one(long_choice)
    assert sample.choices[1] == "c" * (MAX_TEXT_CHARS - 1) + "…"
    assert sample.choices[0] == " 364"


def test_a_one_megabyte_prompt_in_a_file_of_good_lines():
    line = mc(doc_id=2)
    for argument in line["arguments"].values():
        argument["arg_0"] = "word " * (MB // 5)
    task = parse_samples(jsonl(MC_LINE, line, GEN_LINE), "t")
    assert [s.doc_id for s in task.samples] == [1, 2, 5]
    assert len(task.samples[1].prompt) == MAX_TEXT_CHARS
    assert task.samples[1].chosen == 2


def test_many_choices_are_bounded_and_the_argmax_still_sees_them_all():
    count = MAX_CHOICES + 6
    lls = [-float(i + 1) for i in range(count)]
    lls[-1] = -0.1  # the best choice is beyond the kept ones
    line = mc(
        arguments={f"gen_args_{i}": {"arg_0": "p", "arg_1": f" c{i}"} for i in range(count)},
        resps=pairs(tuple(lls), True),
        filtered_resps=pairs(tuple(lls), False),
        target=count - 1,
    )
    sample = one(line)
    assert len(sample.choices) == len(sample.loglikelihoods) == MAX_CHOICES
    assert sample.chosen == count - 1
    assert sample.filtered == f"(choice {count} of {count}; only the first 64 are kept)"
    assert sample.target == str(count - 1)


def test_only_the_first_reasons_are_kept_but_every_skip_is_counted():
    data = jsonl(MC_LINE, *([b"nope"] * 9), GEN_LINE)
    task = parse_samples(data, "t")
    assert (len(task.samples), task.skipped) == (2, 9)
    assert task.reasons == tuple(f"line {n}: not JSON" for n in range(2, 7))


def test_samples_beyond_the_limit_are_skipped_with_one_reason(monkeypatch):
    monkeypatch.setattr(samples_module, "MAX_SAMPLES", 3)
    data = jsonl(*(mc(doc_id=i) for i in range(5)), b"", b"junk")
    task = parse_samples(data, "t")
    assert [s.doc_id for s in task.samples] == [0, 1, 2]
    assert task.skipped == 3
    assert task.reasons == ("line 4 and later: more than 3 samples",)


def test_too_many_filters_are_refused(monkeypatch):
    monkeypatch.setattr(samples_module, "MAX_FILTERS", 2)
    task = parse_samples(jsonl(*(mc(filter=f"f{i}") for i in range(4))), "t")
    assert task.filters == ("f0", "f1")
    assert task.reasons == (
        "line 3: more than 2 filters in one file",
        "line 4: more than 2 filters in one file",
    )


def test_an_empty_file_is_an_empty_task():
    task = parse_samples(b"", "t")
    assert (task.samples, task.metrics, task.filters, task.skipped) == ((), (), (), 0)
    page = view(task, SampleQuery())
    assert (page.total, page.matching, page.page, page.pages, page.rows) == (0, 0, 1, 1, ())
    assert (page.metric, page.filter) == (None, None)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"nope\n[1]\n", "holds no sample we can read: 2 lines skipped (line 1: not JSON; line"),
        (b"PAR1\x15\x04\x15", "is a Parquet file, not JSON lines"),
        (b"\x1f\x8b\x08\x00", "is gzip-compressed, not JSON lines"),
        (b'{"a": 1}\x00\x00', "is binary (it holds NUL bytes)"),
    ],
)
def test_a_file_that_is_no_samples_file_raises_a_clear_error(data, message):
    with pytest.raises(ParseError, match="The samples file of task 'hellaswag'") as raised:
        parse_samples(data, "hellaswag")
    assert message in str(raised.value)
    assert isinstance(raised.value, ValueError)


def test_only_bytes_are_parsed():
    assert len(parse_samples(bytearray(jsonl(MC_LINE)), "t").samples) == 1
    with pytest.raises(TypeError, match="reads bytes, not str"):
        parse_samples(jsonl(MC_LINE).decode(), "t")


# --- the viewer's query -------------------------------------------------------------------------


def board(count: int = 45) -> samples_module.TaskSamples:
    """`count` multiple-choice samples: doc i is correct when i % 3 == 0 (acc), acc_norm
    always 0.5 (no outcome); every fifth prompt mentions a Zebra."""
    lines = []
    for i in range(count):
        line = mc(doc_id=i, acc=float(i % 3 == 0), acc_norm=0.5)
        for argument in line["arguments"].values():
            argument["arg_0"] = f"Question {i}: {'Which ZEBRA' if i % 5 == 0 else 'Which'}?"
        lines.append(line)
    return parse_samples(jsonl(*lines), "board")


@pytest.mark.parametrize(
    ("query", "matching", "page", "pages", "docs"),
    [
        (SampleQuery(), 45, 1, 3, list(range(20))),
        (SampleQuery(page=3), 45, 3, 3, list(range(40, 45))),
        (SampleQuery(page=99), 45, 3, 3, list(range(40, 45))),  # clamped to the last
        (SampleQuery(page=0), 45, 1, 3, list(range(20))),
        (SampleQuery(page=-5, page_size=10), 45, 1, 5, list(range(10))),
        (SampleQuery(page_size=0), 45, 1, 45, [0]),  # at least 1
        (SampleQuery(page_size=10_000), 45, 1, 1, list(range(45))),  # at most 100
        (SampleQuery(outcome="correct"), 15, 1, 1, list(range(0, 45, 3))),
        (
            SampleQuery(outcome=Outcome.INCORRECT, page=2, page_size=10),
            30,
            2,
            3,
            [i for i in range(45) if i % 3][10:20],
        ),
        (SampleQuery(search="zebra"), 9, 1, 1, list(range(0, 45, 5))),
        (SampleQuery(search="  ZeBrA "), 9, 1, 1, list(range(0, 45, 5))),
        (SampleQuery(search="zebra", outcome="correct"), 3, 1, 1, [0, 15, 30]),
        (SampleQuery(search="question 4"), 6, 1, 1, [4, 40, 41, 42, 43, 44]),
        (SampleQuery(search="367"), 45, 1, 3, list(range(20))),  # in a choice
        (SampleQuery(search="nowhere"), 0, 1, 1, []),
        (SampleQuery(search="nowhere", page=7), 0, 1, 1, []),
        (SampleQuery(metric="acc_norm", outcome="correct"), 0, 1, 1, []),  # 0.5: neither
        (SampleQuery(metric="acc_norm", outcome="incorrect"), 0, 1, 1, []),
    ],
)
def test_view_pages_filters_and_searches(query, matching, page, pages, docs):
    result = view(board(), query)
    assert (result.total, result.matching, result.page, result.pages) == (45, matching, page, pages)
    assert [s.doc_id for s in result.rows] == docs
    assert result.filter == "none"
    assert result.metric == (query.metric or "acc")


def test_search_reads_target_and_response_and_is_cached_per_task():
    task = parse_samples(jsonl(gen(target="Forty"), gen(doc_id=6, resps=[["FORTY-ONE"]])), "g")
    assert [s.doc_id for s in view(task, SampleQuery(search="forty")).rows] == [5, 6]
    assert [s.doc_id for s in view(task, SampleQuery(search="one")).rows] == [6]
    assert ("haystacks", "none") in task._cache  # built once, reused by the next search
    assert task == parse_samples(
        jsonl(gen(target="Forty"), gen(doc_id=6, resps=[["FORTY-ONE"]])), "g"
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            dict(metric="acc_nrom"),
            "Unknown metric 'acc_nrom'. Did you mean 'acc_norm'? "
            "This task's metrics: acc, acc_norm.",
        ),
        (dict(filter="strict"), "Unknown filter 'strict'. This task's filters: none."),
        (dict(filter="nonee"), "Unknown filter 'nonee'. Did you mean 'none'?"),
    ],
)
def test_unknown_metric_or_filter_names_the_accepted_ones(query, message):
    with pytest.raises(QueryError) as raised:
        view(board(3), SampleQuery(**query))
    assert str(raised.value).startswith(message)
    assert isinstance(raised.value, ValueError)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (dict(outcome="wrong"), "Unknown outcome 'wrong'; choose one of all, correct, incorrect."),
        (
            dict(search="x" * (SEARCH_MAX_CHARS + 1)),
            "The search is 201 characters long; at most 200 are searched.",
        ),
        (dict(search=5), "The search must be text."),
        (dict(page="two"), "The page and the page size must be whole numbers."),
        (dict(metric=["acc"]), "The metric must be a name, not list."),
    ],
)
def test_a_query_that_cannot_be_read_says_why(fields, message):
    with pytest.raises(QueryError) as raised:
        SampleQuery(**fields)
    assert str(raised.value).startswith(message)


def test_query_values_from_a_form_are_normalised():
    query = SampleQuery(outcome="incorrect", search=" x ", metric="", filter="", page="3")
    assert query == SampleQuery(Outcome.INCORRECT, "x", None, None, 3, 20)
    assert SampleQuery(search="x" * SEARCH_MAX_CHARS).search == "x" * SEARCH_MAX_CHARS
    assert SampleQuery(page_size=PAGE_SIZE_MAX + 1).page_size == PAGE_SIZE_MAX


def test_an_outcome_needs_a_metric():
    task = parse_samples(jsonl(gen(metrics=[]), gen(doc_id=6, metrics=[])), "no-metrics")
    assert task.metrics == ()
    assert view(task, SampleQuery()).total == 2
    with pytest.raises(QueryError, match="has no metric to tell correct from incorrect"):
        view(task, SampleQuery(outcome="correct"))


# --- where the files live -----------------------------------------------------------------------

STAMP = "2026-12-01T23-10-49.143567"


@pytest.mark.parametrize(
    ("model", "stamp", "task"),
    [
        ("tiny-org/tiny-model", STAMP, "sample_mc"),
        ("Qwen/Qwen2.5-7B-Instruct", STAMP, "leaderboard_bbh_boolean_expressions"),
        ("org/m", "2024-06-26T12-00-00", "mmlu_pro"),
        ("org/m.v2", STAMP, "arc-challenge.v1"),
    ],
)
def test_details_paths_round_trip(model, stamp, task):
    path = details_path(model, stamp, task)
    assert path == f"{model}/details_{stamp}/samples_{task}.jsonl"
    assert parse_details_path(path) == DetailsPath(model, stamp, task) == (model, stamp, task)


@pytest.mark.parametrize(
    ("model", "stamp", "task", "message"),
    [
        ("../etc", STAMP, "t", "must not contain `..`"),
        ("org/../m", STAMP, "t", "exactly one `/`"),
        ("org", STAMP, "t", "exactly one `/`"),
        ("org/m", "latest", "t", "is not a results file's time"),
        ("org/m", "../2026-12-01T23-10-49", "t", "is not a results file's time"),
        ("org/m", STAMP, "../x", "may only use letters"),
        ("org/m", STAMP, "a/b", "may only use letters"),
        ("org/m", STAMP, "a..b", "may only use letters"),
        ("org/m", STAMP, "harness|arc:challenge|25", "may only use letters"),
        ("org/m", STAMP, "has space", "may only use letters"),
        ("org/m", STAMP, ".hidden", "may only use letters"),
        ("org/m", STAMP, "", "may only use letters"),
        ("org/m", STAMP, "t" * 201, "may only use letters"),
    ],
)
def test_details_path_refuses_what_could_leave_the_folder_or_is_odd(model, stamp, task, message):
    with pytest.raises(ValueError) as raised:
        details_path(model, stamp, task)
    assert message in str(raised.value)


@pytest.mark.parametrize(
    "path",
    [
        f"org/m/details_{STAMP}/samples_../x.jsonl",
        f"org/../details_{STAMP}/samples_t.jsonl",
        f"../m/details_{STAMP}/samples_t.jsonl",
        f"org/m/details_{STAMP}/sub/samples_t.jsonl",
        f"org/m/details_{STAMP}/samples_a b.jsonl",
        f"org/m/details_{STAMP}/samples_t.json",
        f"org/m/details_{STAMP}/results_t.jsonl",
        f"org/m/{STAMP}/samples_t.jsonl",
        "org/m/details_latest/samples_t.jsonl",
        f"/org/m/details_{STAMP}/samples_t.jsonl",
        f"org/m/results_{STAMP}.json",
        "",
    ],
)
def test_other_paths_are_no_details_paths(path):
    assert parse_details_path(path) is None


@pytest.mark.parametrize(
    ("name", "task"),
    [
        (f"samples_sample_mc_{STAMP}.jsonl", "sample_mc"),  # as lm-eval names its files
        ("samples_sample_mc.jsonl", "sample_mc"),  # as the results store holds them
        (
            f"samples_leaderboard_bbh_boolean_expressions_{STAMP}.jsonl",
            "leaderboard_bbh_boolean_expressions",
        ),
        ("samples_mmlu_pro_2024-06-26T12-00-00.jsonl", "mmlu_pro"),
        (f"out/run0/org__m/samples_gsm8k_{STAMP}.jsonl", "gsm8k"),
        ("samples_task_2024.jsonl", "task_2024"),  # no timestamp: all of it is the task
        (f"results_{STAMP}.json", None),
        ("samples_.jsonl", None),
        (f"samples__{STAMP}.jsonl", None),
        (f"samples_a b_{STAMP}.jsonl", None),
        ("samples_a..b.jsonl", None),
        ("samples_t.json", None),
    ],
)
def test_the_task_of_a_samples_files_name(name, task):
    assert task_of_samples_file(name) == task


# --- the files a real lm-eval run writes --------------------------------------------------------


def real_lines(path: Path) -> list[dict]:
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line]


def test_the_files_of_a_real_harness_run(harness_run):
    folder = harness_run["folder"]
    (mc_file,) = folder.glob("samples_sample_mc_*.jsonl")
    (gen_file,) = folder.glob("samples_sample_gen_*.jsonl")
    assert task_of_samples_file(mc_file.name) == "sample_mc"

    task = parse_samples(mc_file.read_bytes(), "sample_mc")
    assert (len(task.samples), task.skipped, task.reasons) == (50, 0, ())
    assert (task.metrics, task.filters) == (("acc", "acc_norm"), ("none",))
    for sample, line in zip(task.samples, real_lines(mc_file), strict=True):
        gold = int(line["target"])
        assert sample.doc_id == line["doc_id"]
        assert sample.prompt == line["arguments"]["gen_args_0"]["arg_0"]
        assert sample.choices == tuple(f" {choice}" for choice in line["doc"]["choices"])
        assert sample.target == line["doc"]["choices"][gold]
        assert sample.loglikelihoods == tuple(float(r[0][0]) for r in line["resps"])
        # lm-eval's `acc` is exactly "the argmax log-likelihood is the gold choice"
        assert sample.correct("acc") is (sample.chosen == gold) is (line["acc"] == 1.0)
        assert sample.response == sample.filtered == sample.choices[sample.chosen]
        assert sample.value("acc_norm") == line["acc_norm"]
    right = sum(line["acc"] == 1.0 for line in real_lines(mc_file))
    assert view(task, SampleQuery(outcome="correct", page_size=100)).matching == right

    task = parse_samples(gen_file.read_bytes(), "sample_gen")
    assert (len(task.samples), task.metrics, task.skipped) == (50, ("exact_match",), 0)
    for sample, line in zip(task.samples, real_lines(gen_file), strict=True):
        assert (sample.response, sample.filtered) == (
            line["resps"][0][0],
            line["filtered_resps"][0],
        )
        assert (sample.target, sample.choices, sample.chosen) == (line["target"], (), None)
        assert sample.value("exact_match") == line["exact_match"]
    assert view(task, SampleQuery(search="what is 8 TIMES 5")).matching == 1


def test_published_details_are_found_and_read_back(harness_run, tmp_path):
    run = tmp_path / "output" / "run0" / "tiny"
    shutil.copytree(harness_run["folder"], run)
    request = EvalRequest(
        model="tiny-org/tiny-model",
        precision=Precision.FLOAT32,
        status=Status.RUNNING,
        revision="0123456789abcdef0123456789abcdef01234567",
        job_start_time="2026-12-01T23:10:49.143567Z",
    )
    results = LocalStore(tmp_path / "results", durable=False)
    publish_results(tmp_path / "output", request, results)

    stamp = claim_stamp(request)
    assert stamp == STAMP
    found = sorted(
        parse_details_path(stored.path) for stored in results.list_files(suffix=".jsonl")
    )
    assert found == [
        DetailsPath("tiny-org/tiny-model", STAMP, "sample_gen"),
        DetailsPath("tiny-org/tiny-model", STAMP, "sample_mc"),
    ]
    for model, stamp, task in found:
        data = results.read(details_path(model, stamp, task))
        assert len(parse_samples(data, task).samples) == 50
