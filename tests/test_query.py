"""The query layer as a table of cases: no gradio, no files, just a board and a Query."""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest

from leaderboard.domain import EvalRequest, ModelType, Precision, Status, WeightType
from leaderboard.domain.results import EvalResult, ResultFormat
from leaderboard.errors import QueryError
from leaderboard.query import (
    SEARCH_FIELDS,
    SEARCH_MAX_CHARS,
    SEARCH_MAX_TERMS,
    Query,
    ReadQuery,
    filter_mask,
    from_values,
    parse_search,
    present,
    run_query,
    to_params,
    to_records,
)
from leaderboard.suites import get_suite
from leaderboard.table.build import build_board
from leaderboard.table.entries import request_entry, result_entries
from leaderboard.table.frames import requests_frame, results_frame

V1 = get_suite("v1")
BENCHMARKS = ("arc", "hellaswag", "mmlu", "truthfulqa", "winogrande", "gsm8k")
TASKS = {
    "arc": ("arc_challenge", "acc_norm"),
    "hellaswag": ("hellaswag", "acc_norm"),
    "mmlu": ("mmlu", "acc"),
    "truthfulqa": ("truthfulqa_mc2", "acc"),
    "winogrande": ("winogrande", "acc"),
    "gsm8k": ("gsm8k", "acc"),
}

# model, precision, average-ish score, type, license, params, architecture, tags, flagged, on hub
MODELS = [
    (
        "meta/llama-7b",
        "float16",
        0.60,
        ModelType.PRETRAINED,
        "llama2",
        6.7,
        "LlamaForCausalLM",
        (),
        "",
        True,
    ),
    (
        "meta/llama-70b",
        "bfloat16",
        0.75,
        ModelType.PRETRAINED,
        "llama2",
        69.0,
        "LlamaForCausalLM",
        (),
        "",
        True,
    ),
    (
        "mistral/mistral-7b-chat",
        "bfloat16",
        0.65,
        ModelType.CHAT,
        "apache-2.0",
        7.2,
        "MistralForCausalLM",
        (),
        "",
        True,
    ),
    (
        "merger/llama-mistral-merge",
        "float16",
        0.70,
        ModelType.MERGE,
        "apache-2.0",
        7.2,
        "MistralForCausalLM",
        ("merge",),
        "",
        True,
    ),
    (
        "moe/mixtral-8x7b",
        "bfloat16",
        0.72,
        ModelType.FINE_TUNED,
        "apache-2.0",
        46.7,
        "MixtralForCausalLM",
        ("moe",),
        "",
        True,
    ),
    (
        "tiny/phi-2",
        "float16",
        0.55,
        ModelType.PRETRAINED,
        "mit",
        2.7,
        "PhiForCausalLM",
        (),
        "",
        True,
    ),
    (
        "shady/contaminated-7b",
        "float16",
        0.80,
        ModelType.FINE_TUNED,
        "mit",
        7.0,
        "LlamaForCausalLM",
        (),
        "contaminated",
        True,
    ),
    ("gone/deleted-13b", "4bit", 0.50, ModelType.CHAT, "", 13.0, "LlamaForCausalLM", (), "", False),
    (
        "tiny/phi-2",
        "bfloat16",
        0.56,
        ModelType.PRETRAINED,
        "mit",
        2.7,
        "PhiForCausalLM",
        (),
        "",
        True,
    ),
]


def make_board() -> pd.DataFrame:
    results, requests = [], []
    for index, (
        model,
        precision,
        level,
        kind,
        license_,
        params,
        arch,
        tags,
        flag,
        on_hub,
    ) in enumerate(MODELS):
        metrics = {
            task: {metric: level + 0.01 * offset}
            for offset, (task, metric) in enumerate(TASKS.values())
        }
        result = EvalResult(
            model=model,
            precision=Precision.parse(precision),
            metrics=metrics,
            format=ResultFormat.TEMPLATE,
            evaluation_seconds=3600.0,
        )
        results += result_entries(result, f"{model}/results_{index}.json", "v")
        request = EvalRequest(
            model=model,
            precision=Precision.parse(precision),
            weight_type=WeightType.ADAPTER if model == "tiny/phi-2" else WeightType.ORIGINAL,
            status=Status.FINISHED,
            model_type=kind,
            license=license_,
            params=params,
            architectures=arch,
            tags=tags,
            flagged=flag,
            still_on_hub=on_hub,
        )
        requests.append(request_entry(request, request.path, "v"))
    return build_board(
        results_frame(results),
        requests_frame(requests),
        V1,
        co2_power_kw=5.6,
        co2_grid_g_per_kwh=269.8,
    )


BOARD = make_board()


def shown(query: Query) -> list[str]:
    return list(run_query(BOARD, V1, query)["model"])


def test_default_order_is_average_descending():
    assert shown(Query()) == [
        "shady/contaminated-7b",
        "meta/llama-70b",
        "moe/mixtral-8x7b",
        "merger/llama-mistral-merge",
        "mistral/mistral-7b-chat",
        "meta/llama-7b",
        "tiny/phi-2",
        "tiny/phi-2",
        "gone/deleted-13b",
    ]


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("llama", {"meta/llama-7b", "meta/llama-70b", "merger/llama-mistral-merge"}),
        ("LLAMA-7B", {"meta/llama-7b"}),
        (
            "llama; phi",
            {"meta/llama-7b", "meta/llama-70b", "merger/llama-mistral-merge", "tiny/phi-2"},
        ),
        ("llama merge", {"merger/llama-mistral-merge"}),
        (
            "@license:apache",
            {"mistral/mistral-7b-chat", "merger/llama-mistral-merge", "moe/mixtral-8x7b"},
        ),
        ("@license:APACHE @type:chat", {"mistral/mistral-7b-chat"}),
        (
            "@precision:float16",
            {"meta/llama-7b", "merger/llama-mistral-merge", "tiny/phi-2", "shady/contaminated-7b"},
        ),
        ("@precision:4bit; @architecture:phi", {"gone/deleted-13b", "tiny/phi-2"}),
        ("@architecture:mixtral", {"moe/mixtral-8x7b"}),
        ("@type:pretrained 70b", {"meta/llama-70b"}),
        ("nothing-matches", set()),
        ("  ;  ; ", {m[0] for m in MODELS}),
        ("<img src=x onerror=alert(1)>", set()),
        ("(unbalanced [regex", set()),
    ],
)
def test_search(search, expected):
    assert set(shown(Query(search=search))) == expected


@pytest.mark.parametrize(
    ("search", "message"),
    [
        ("@color:red", "`@color:` is not a field you can search"),
        ("@license", "needs a value"),
        ("@license:", "needs a value"),
    ],
)
def test_search_errors_say_what_is_possible(search, message):
    with pytest.raises(QueryError, match=message):
        run_query(BOARD, V1, Query(search=search))


def test_parse_search_structure():
    alternatives = parse_search("a @license:mit; b")
    assert [[(t.field, t.value) for t in terms] for terms in alternatives] == [
        [(None, "a"), ("license", "mit")],
        [(None, "b")],
    ]


# --- search limits and hostile input ---------------------------------------------------------


def refusal(search: object) -> str:
    with pytest.raises(QueryError) as caught:
        run_query(BOARD, V1, Query(search=search))
    return str(caught.value)


@pytest.mark.parametrize(
    ("search", "message"),
    [
        (
            "x" * (SEARCH_MAX_CHARS + 1),
            f"is {SEARCH_MAX_CHARS + 1} characters long; a search can be at most "
            f"{SEARCH_MAX_CHARS} characters",
        ),
        ("a " * (1 << 19), "is 1,048,576 characters long"),  # the 1 MB of letters
        ("x" * (1 << 20), "is 1,048,576 characters long"),  # the 1 MB word
        ("llama; " * 40, "is 280 characters long"),
        (
            " ".join("abcdefghi"),
            f"has 9 terms; a search can have at most {SEARCH_MAX_TERMS}",
        ),
        ("a b c; d e f; g h i", "has 9 terms"),  # counted over all alternatives
        (";".join("abcdefghi"), "has 9 terms"),
        ("@license:mit @type:chat a b c d e f g", "has 9 terms"),  # fields count too
        ("a b c d e f g h i j k l m n o p q r s t", "has 20 terms"),
    ],
)
def test_searches_over_the_limits_are_refused_without_quoting_them(search, message):
    text = refusal(search)
    assert message in text
    assert search not in text and search.strip() not in text
    assert len(text) < 300


@pytest.mark.parametrize(
    "search",
    [
        "x" * SEARCH_MAX_CHARS,
        " ".join("abcdefgh"),
        "a b c d; e f g h",
        "a " * (SEARCH_MAX_CHARS // 2),  # 100 repeats of one term: one term
        "a b; " * (SEARCH_MAX_CHARS // 5 - 1) + "c",  # one alternative, repeated: 3 terms
    ],
)
def test_searches_at_the_limits_run(search):
    assert len(search) <= SEARCH_MAX_CHARS
    run_query(BOARD, V1, Query(search=search))


@pytest.mark.parametrize(
    ("search", "message", "quoted"),
    [
        ("@" + "y" * 150 + ":z", "is not a field you can search", "`@" + "y" * 39 + "…:`"),
        ("@" + "y" * 150, "needs a value", "`@" + "y" * 38 + "…`"),
        ("@x\x1b[31m:y", "is not a field you can search", "`@x\\x1b[31m:`"),
        ("@x\x00", "needs a value", "`@x\\x00`"),
        ("\ud800", "U+D800 at character 1", "not a character"),
        ("llama a\udfffb", "U+DFFF at character 8", "lone surrogate"),
        ("@license:\ud83d", "U+D83D at character 10", "lone surrogate"),
        (None, "must be text", "not NoneType"),
        (b"llama", "must be text", "not bytes"),
    ],
)
def test_messages_quote_little_and_only_printable_characters(search, message, quoted):
    text = refusal(search)
    assert message in text and quoted in text
    assert text.isprintable()  # no control character or newline reaches a log line
    assert "y" * 40 not in text


# A board of names made of the characters a search must take literally.
ODD_NAMES = [
    "a.b/c*d",
    "x<img src=x onerror=alert(1)>",
    "nul\x00byte",
    "ümlaut-ÄÖ",
    "regex(.*)+?",
    "back\\slash",
    "esc\\x2e",
    "pipe|or",
    "dollar$^caret",
    "brace{2}[ab]",
    "smile-\U0001f600",
    "plain",
]
ODD_BOARD = pd.DataFrame({"model": pd.Series(ODD_NAMES, dtype="str"), "params_b": 1.0})


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("\x00", {"nul\x00byte"}),
        ("nul\x00", {"nul\x00byte"}),
        (".", {"a.b/c*d", "regex(.*)+?"}),
        ("*", {"a.b/c*d", "regex(.*)+?"}),
        ("(.*)", {"regex(.*)+?"}),
        (".*", {"regex(.*)+?"}),
        ("+?", {"regex(.*)+?"}),
        ("[", {"brace{2}[ab]"}),
        ("[ab]", {"brace{2}[ab]"}),
        ("{2}", {"brace{2}[ab]"}),
        ("\\", {"back\\slash", "esc\\x2e"}),
        ("\\x2e", {"esc\\x2e"}),  # not the escape of `.`
        ("\\.", set()),
        ("|", {"pipe|or"}),
        ("a|b", set()),
        ("$^", {"dollar$^caret"}),
        ("^", {"dollar$^caret"}),
        ("<img", {"x<img src=x onerror=alert(1)>"}),
        ("onerror=alert(1)>", {"x<img src=x onerror=alert(1)>"}),
        ("<script>", set()),
        ("äö", {"ümlaut-ÄÖ"}),
        ("ÜMLAUT", {"ümlaut-ÄÖ"}),
        ("\U0001f600", {"smile-\U0001f600"}),
        ("\U0001f600" * 200, set()),
        ("\uffff", set()),
        ("\U0010ffff", set()),
        ("PLAIN; .; \\x2e", {"plain", "a.b/c*d", "regex(.*)+?", "esc\\x2e"}),
    ],
)
def test_hostile_searches_match_literally(search, expected):
    mask = filter_mask(ODD_BOARD, Query(search=search))
    assert {name for name, kept in zip(ODD_NAMES, mask, strict=True) if kept} == expected


@pytest.mark.parametrize(
    "search",
    [
        "\x00",
        "\x00" * SEARCH_MAX_CHARS,
        "\ud800",
        "\udfff\ud800",
        "x" * (1 << 20),
        "\U0001f600" * (1 << 18),
        "(" * SEARCH_MAX_CHARS,
        "\\" * SEARCH_MAX_CHARS,
        "[[[[ ]]]] (?i) \\Q \\E \\x00 \\p{L}",
        "<img src=x onerror=alert(1)>",
        "@",
        "@:",
        "@:x",
        "@license:",
        "@license::",
        "@license:mit:x",
        "@LICENSE:MIT",
        "@precision:\x00",
        "@type:\\",
        "@@license:mit",
        ";;;;",
        ";" * SEARCH_MAX_CHARS,
        "\u2028\u2029\x85\x1c",  # whitespace to str.split
        "İ ß ſ K",
        "a\u0301 \u0301",
    ],
)
def test_any_string_fails_only_with_a_query_error(search):
    try:
        run_query(BOARD, V1, Query(search=search))
    except QueryError as exc:
        assert str(exc).isprintable() and len(str(exc)) < 300


@pytest.mark.parametrize(
    ("search", "structure"),
    [
        ("a a a a", [[(None, "a")]]),
        ("Llama llama LLAMA", [[(None, "Llama")]]),
        ("ÄÖ äö", [[(None, "ÄÖ")]]),
        ("a b; b a; a b a", [[(None, "a"), (None, "b")]]),
        ("a; a; a", [[(None, "a")]]),
        ("a; a b", [[(None, "a")], [(None, "a"), (None, "b")]]),  # not a repeat
        ("@license:MIT @LICENSE:mit", [[("license", "MIT")]]),
        ("@precision:BFLOAT16 @precision:bfloat16", [[("precision", "BFLOAT16")]]),
        ("mit @license:mit", [[(None, "mit"), ("license", "mit")]]),  # other fields
    ],
)
def test_parse_search_drops_repeats(search, structure):
    alternatives = parse_search(search)
    assert [[(t.field, t.value) for t in terms] for terms in alternatives] == structure


@pytest.mark.parametrize(
    ("repeated", "plain"),
    [
        ("llama llama llama", "llama"),
        ("LLAMA llama; llama", "llama"),
        ("llama 7b; 7b llama; phi; phi", "llama 7b; phi"),
        (" ".join(["mistral"] * 20), "mistral"),  # 20 repeats: far over the limit, one term
    ],
)
def test_repeats_change_nothing_and_do_not_count(repeated, plain):
    assert shown(Query(search=repeated)) == shown(Query(search=plain))


def reference_search(search: str) -> list[str]:
    """The search evaluated row by row in plain Python (no narrowing, no categories)."""

    def matches(row, term):
        column, exact = ("model", False) if term.field is None else SEARCH_FIELDS[term.field]
        value, wanted = str(row[column]).lower(), term.value.lower()
        return value == wanted if exact else wanted in value

    kept = [
        row["model"]
        for _, row in BOARD.iterrows()
        if any(all(matches(row, t) for t in terms) for terms in parse_search(search))
    ]
    return kept or list(BOARD["model"])


@pytest.mark.parametrize(
    "search",
    [
        "llama",
        "@license:apache llama",
        "llama @license:apache",
        "7b; 70b; @type:chat",
        "@type:pretrained; llama 7b; phi",
        "@precision:float16 @architecture:llama; mixtral",
        "@license:mit @type:fine; @license:llama2 70",
        "a; e; i; o; u",
        "nothing; @license:none; phi",
        "l l a m",
    ],
)
def test_narrowed_search_agrees_with_a_row_by_row_one(search):
    assert shown(Query(search=search)) == reference_search(search)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (Query(model_types=("chat",)), {"mistral/mistral-7b-chat", "gone/deleted-13b"}),
        (Query(model_types=()), set()),
        (
            Query(precisions=("bfloat16",)),
            {"meta/llama-70b", "mistral/mistral-7b-chat", "moe/mixtral-8x7b", "tiny/phi-2"},
        ),
        (Query(weight_types=("Adapter",)), {"tiny/phi-2"}),
        (Query(sizes=("edge",)), {"tiny/phi-2"}),
        (Query(sizes=("consumer",)), {"meta/llama-7b", "shady/contaminated-7b"}),
        (
            Query(sizes=("midrange",)),
            {
                "mistral/mistral-7b-chat",
                "merger/llama-mistral-merge",
                "moe/mixtral-8x7b",
                "gone/deleted-13b",
            },
        ),
        (Query(sizes=("gpurich",)), {"meta/llama-70b"}),
        (Query(sizes=("edge", "gpurich")), {"tiny/phi-2", "meta/llama-70b"}),
        (
            Query(params_min=7, params_max=13),
            {
                "shady/contaminated-7b",
                "mistral/mistral-7b-chat",
                "merger/llama-mistral-merge",
                "gone/deleted-13b",
            },
        ),
        (Query(params_min=40), {"meta/llama-70b", "moe/mixtral-8x7b"}),
        (Query(params_max=3, sizes=("edge", "consumer")), {"tiny/phi-2"}),
        (Query(hide=("merged",)), {m[0] for m in MODELS} - {"merger/llama-mistral-merge"}),
        (Query(hide=("moe",)), {m[0] for m in MODELS} - {"moe/mixtral-8x7b"}),
        (Query(hide=("flagged",)), {m[0] for m in MODELS} - {"shady/contaminated-7b"}),
        (Query(hide=("unavailable",)), {m[0] for m in MODELS} - {"gone/deleted-13b"}),
        (Query(search="llama", hide=("merged",), precisions=("float16",)), {"meta/llama-7b"}),
    ],
)
def test_filters(query, expected):
    assert set(shown(query)) == expected


def test_size_bucket_boundaries_are_inclusive_above():
    assert "tiny/phi-2" in shown(Query(params_max=2.7))
    assert "meta/llama-7b" not in shown(Query(sizes=("edge",)))


def test_sort_by_another_column_and_ties_keep_average_order():
    ascending = shown(Query(sort="params_b", descending=False))
    assert ascending[:2] == ["tiny/phi-2", "tiny/phi-2"]
    assert ascending[-1] == "meta/llama-70b"
    by_license = run_query(BOARD, V1, Query(sort="license", descending=False, columns=("license",)))
    apache = by_license[by_license["license"] == "apache-2.0"]["model"].tolist()
    assert apache == ["moe/mixtral-8x7b", "merger/llama-mistral-merge", "mistral/mistral-7b-chat"]


def test_unknown_sort_column_is_a_query_error():
    with pytest.raises(QueryError, match="Cannot sort by 'speed'"):
        run_query(BOARD, V1, Query(sort="speed"))


def test_columns_pinned_first_then_registry_order():
    frame = run_query(BOARD, V1, Query(columns=("license", "average", "gsm8k")))
    assert list(frame.columns) == [
        "rank",
        "type_symbol",
        "model",
        "average",
        "gsm8k",
        "license",
    ]


def test_ranks_respect_the_averages_confidence_intervals():
    # Row by row, as LMArena states the rule: 1 + the models whose interval lies wholly above.
    averages = [round(a * 100 + 1e-9) / 100 for a in BOARD["average"]]
    bounds = [(a - w, a + w) for a, w in zip(averages, BOARD["average_ci"], strict=True)]
    expected = [1 + sum(low > high for low, _ in bounds) for _, high in bounds]
    assert BOARD["rank"].tolist() == expected
    ranks = dict(
        zip(BOARD["model"] + "/" + BOARD["precision"].astype(str), BOARD["rank"], strict=True)
    )
    assert ranks["shady/contaminated-7b/float16"] == 1
    # 1 point apart, each within about ±1: the intervals overlap, so they share rank 7.
    assert ranks["tiny/phi-2/bfloat16"] == ranks["tiny/phi-2/float16"] == 7
    assert ranks["gone/deleted-13b/4bit"] == 9


def test_present_labels_rounds_half_up_and_links():
    row = BOARD[BOARD["model"] == "meta/llama-7b"]
    frame = run_query(row, V1, Query(columns=("average", "arc", "co2_kg", "params_b")))
    plain = present(frame, V1)
    assert list(plain.columns) == [
        "Rank",
        "T",
        "Model",
        "Average ⬆️",
        "ARC",
        "#Params (B)",
        "CO₂ cost (kg)",
    ]
    assert plain["Model"].iloc[0] == "meta/llama-7b"
    assert plain["ARC"].iloc[0] == 60.0
    assert plain["CO₂ cost (kg)"].iloc[0] == round(1 * 5.6 * 269.8 / 1000, 2)


@pytest.mark.parametrize(
    ("value", "shown_as"), [(74.405, 74.41), (74.398333, 74.40), (66.27, 66.27), (0.005, 0.01)]
)
def test_rounding_half_up(value, shown_as):
    frame = pd.DataFrame({"average": [value]})
    assert present(frame, V1)["Average ⬆️"].iloc[0] == shown_as


def test_records_are_json_ready():
    records = to_records(present(run_query(BOARD, V1, Query(columns=("co2_kg", "likes"))), V1))
    assert all(isinstance(r["Hub ❤️"], int) for r in records)
    assert all(r["Rank"] is None or isinstance(r["Rank"], int) for r in records)


def test_url_parameters_round_trip():
    query = Query(
        search="llama; @license:mit",
        model_types=("chat", "merge"),
        precisions=("bfloat16",),
        weight_types=("Original",),
        params_min=7,
        params_max=65.5,
        sizes=("consumer",),
        hide=("flagged", "unavailable"),
        columns=("gsm8k", "license"),
        sort="gsm8k",
        descending=False,
    )
    params = to_params(query)
    assert params["params"] == "7-65.5" and params["sort"] == "gsm8k"
    assert from_values(params, V1, strict=False) == ReadQuery(query)
    assert from_values(params, V1, strict=True).query == query


def test_default_query_has_no_parameters():
    assert to_params(Query()) == {}
    assert from_values({}, V1, strict=True) == ReadQuery(Query())


@pytest.mark.parametrize(
    ("params", "expected", "ignored"),
    [
        ({"precision": "float16,fp99"}, Query(precisions=("float16",)), "cannot be `fp99`"),
        ({"type": "robot"}, Query(model_types=()), "`type` cannot be `robot`; accepted: pre"),
        ({"sort": "-nonexistent"}, Query(), "`sort` cannot be `nonexistent`; accepted: rank"),
        ({"params": "abc-7"}, Query(), "`params` takes `MIN-MAX` in billions"),
        ({"params": "7"}, Query(), "not `7`"),
        ({"hide": "merged,everything"}, Query(hide=("merged",)), "`hide` cannot be `everything`"),
        ({"columns": "gsm8k,bogus"}, Query(columns=("gsm8k",)), "`columns` cannot be `bogus`"),
        ({"params": "-inf-nan"}, Query(), "is not a size"),
        ({"params": "9-3"}, Query(), "the minimum 9 is above the maximum 3"),
        ({"colour": "red"}, Query(), "`colour` is not a query parameter"),
    ],
)  # fmt: skip
def test_old_or_hand_edited_links_keep_the_good_values_and_say_what_was_ignored(
    params, expected, ignored
):
    read = from_values(params, V1, strict=False)
    assert read.query == expected
    assert len(read.ignored) == 1 and ignored in read.ignored[0]
    with pytest.raises(QueryError, match=re.escape(ignored)):
        from_values(params, V1, strict=True)


def test_gradios_own_url_parameters_and_the_board_are_not_query_parameters():
    assert from_values({"__theme": "dark", "board": "v1"}, V1, strict=True) == ReadQuery(Query())


def test_no_row_is_lost_or_duplicated_by_filters():
    everything = run_query(BOARD, V1, Query())
    assert len(everything) == len(MODELS)
    assert not math.isnan(everything["average"].iloc[0])
