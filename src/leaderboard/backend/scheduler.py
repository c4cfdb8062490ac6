"""Worker cycles on a schedule: inside the app (`LEADERBOARD_WORKER=on`) or as its own process
(`python -m leaderboard worker`).

APScheduler runs one cycle every `LEADERBOARD_WORKER_INTERVAL` seconds, never two at once
(`max_instances=1`, late runs coalesced); a cycle lasts as long as it has evaluations in
flight, filling freed slots as they free up. An unexpected error in a cycle is logged and the
next cycle runs as planned. Shutting down stops the running evaluations and hands their
requests back to the queue.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler

from leaderboard.backend.worker import CycleResult, Worker

log = logging.getLogger(__name__)


def safe_cycle(
    worker: Worker, after: Callable[[CycleResult], None] | None = None
) -> list[CycleResult]:
    """One cycle whose failure never reaches the scheduler (which would stop trying); each
    evaluation's result goes to `after` as it lands."""

    def landed(result: CycleResult) -> None:
        log.info("Worker: %s %s %s", result.outcome.value, result.model, result.reason)
        if after is not None:
            after(result)

    try:
        return worker.run_cycle(keep_claiming=True, on_result=landed)
    except Exception:  # a bug or a store outage: log it, and try again next cycle
        log.exception("The worker cycle failed; the next one runs as scheduled")
        return []


def start_worker(
    worker: Worker, *, interval: int, after: Callable[[CycleResult], None] | None = None
) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(daemon=True)
    scheduler.add_job(
        safe_cycle,
        "interval",
        args=[worker, after],
        seconds=interval,
        max_instances=1,
        coalesce=True,
        id="worker-cycle",
        next_run_time=datetime.now(UTC),
    )
    scheduler.start()
    log.info("Worker %s runs every %d s", worker.worker_id, interval)
    return scheduler


def stop_worker(scheduler: BackgroundScheduler, worker: Worker) -> None:
    """Stop the running evaluations (their requests go back to PENDING), then the
    scheduler and the executor."""
    worker.stop()
    scheduler.shutdown(wait=True)
    worker.close()
