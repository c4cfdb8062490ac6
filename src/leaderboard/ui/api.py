"""Named API endpoints for `gradio_client`: typed functions, no widgets (DESIGN.md §6)."""

from __future__ import annotations

import gradio as gr

from leaderboard.errors import LeaderboardError
from leaderboard.query import (
    HIDE_OPTIONS,
    MODEL_TYPE_CHOICES,
    SIZE_BUCKETS,
    Query,
    present,
    run_query,
    to_records,
)
from leaderboard.sample_query import SampleQuery
from leaderboard.suites import get_suite
from leaderboard.table import TableLoader
from leaderboard.table.queue import status_json
from leaderboard.ui.compare_tab import CompareView
from leaderboard.ui.model_tab import ModelView, scored_view
from leaderboard.ui.sample_viewer import sample_page_json

QUERY_DOC = (
    "Leaderboard rows as shown by default: one object per row, keyed by column label, `Model` "
    "as plain `org/name`. Filters take the values of `python -m leaderboard table` (model "
    f"types: {', '.join(m.short for m in MODEL_TYPE_CHOICES)}; sizes: "
    f"{', '.join(b.key for b in SIZE_BUCKETS)}; hide: {', '.join(HIDE_OPTIONS)}). Null means "
    "no filter; a list keeps exactly the rows with those values (an empty list keeps none). "
    "A value that is not accepted is refused with the accepted ones."
)


def register_api(loader: TableLoader, model_view: ModelView, compare_view: CompareView) -> None:
    """Call inside an open `gr.Blocks`."""

    def query(
        search: str = "",
        board: str = "",
        model_types: list[str] | None = None,
        precisions: list[str] | None = None,
        weight_types: list[str] | None = None,
        params_min: float | None = None,
        params_max: float | None = None,
        sizes: list[str] | None = None,
        hide: list[str] | None = None,
        columns: list[str] | None = None,
        sort: str = "average",
        descending: bool = True,
    ) -> list[dict]:
        try:
            snapshot = loader.snapshot
            suite = get_suite(board or snapshot.default_suite or "v2")
            sort = sort or "average"
            values = {
                "search": search,
                "type": model_types,
                "precision": precisions,
                "weight_type": weight_types,
                "params": [params_min, params_max],
                "size": sizes,
                "hide": hide,
                "columns": columns,
                "sort": sort if sort.startswith("-") else ("-" if descending else "") + sort,
            }
            request = Query.from_values(values, suite, strict=True).query
            rows = present(run_query(snapshot.board(suite.name), suite, request), suite)
            return to_records(rows)
        except LeaderboardError as exc:  # the client gets the reason, not a generic failure
            raise gr.Error(str(exc)) from exc

    def queue() -> dict[str, list[dict]]:
        """The queue: pending, running, finished and failed requests (failed with a reason),
        and the files of either store that could not be read (with the reason)."""
        snapshot = loader.snapshot
        return status_json(snapshot.requests, snapshot.skipped)

    def model(model: str, precision: str = "", board: str = "") -> dict:
        """One model's page as data: every benchmark and subtask with its 95% interval, its
        ranks, request, provenance, the command that reproduces it, its files and history.
        `precision` picks one of its rows (default: the best); `board` a board."""
        try:
            return model_view.profile(model, precision, board).to_json()
        except LeaderboardError as exc:
            raise gr.Error(str(exc)) from exc

    def compare(models: list[str], board: str = "") -> dict:
        """Two to four models (`org/name`, or `org/name@precision`) side by side: scores with
        intervals, each difference from the first model and whether it is significant, and
        per task both have samples of, a paired test and the samples where they differ."""
        try:
            return compare_view.comparison(models, board).to_json()
        except LeaderboardError as exc:
            raise gr.Error(str(exc)) from exc

    def samples(
        model: str,
        task: str,
        outcome: str = "all",
        search: str = "",
        page: int = 1,
        doc_id: int | None = None,
    ) -> dict:
        """One page (20 samples) of a model's samples of one task: `task` is the samples
        file's path as `/model` lists it (`details`); `outcome` all, correct or incorrect."""
        try:
            read = model_view.reader.read(task, model)
            query = SampleQuery(outcome=outcome, search=search, page=page, doc_id=doc_id)
            return sample_page_json(read, scored_view(read, query))
        except (LeaderboardError, ValueError) as exc:
            raise gr.Error(str(exc)) from exc

    query.__doc__ = QUERY_DOC  # the API page lists the accepted values, from their tables
    gr.api(query, api_name="query")
    gr.api(queue, api_name="queue")
    gr.api(model, api_name="model")
    gr.api(compare, api_name="compare")
    gr.api(samples, api_name="samples")
