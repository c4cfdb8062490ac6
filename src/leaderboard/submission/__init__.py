"""Submissions: validate a model and put its request into the queue (one pipeline for all)."""

from __future__ import annotations

from pathlib import Path

from leaderboard.config import Settings
from leaderboard.stores import Store
from leaderboard.submission.facts import LocatedModel, ModelFacts, ModelLookupError
from leaderboard.submission.pipeline import ANONYMOUS_SENDER, Accepted, Outcome, Submitter
from leaderboard.submission.rules import Policy, Refusal, SubmissionForm
from leaderboard.submission.sources import LocalModelSource, ModelFinder


def policy_from_settings(settings: Settings) -> Policy:
    return Policy(
        require_sign_in=not settings.anonymous_submissions,
        blocked_authors=settings.blocked_authors,
        rate_limit=settings.rate_limit,
        rate_limit_exempt=settings.rate_limit_exempt,
        max_params_b=settings.max_params_b,
        min_card_chars=settings.min_card_chars,
    )


def finder_from_settings(settings: Settings) -> ModelFinder:
    from leaderboard.submission.hub_source import HubModelSource

    local = LocalModelSource(settings.local_models) if settings.local_models else None
    hub = HubModelSource(
        endpoint=settings.hub_endpoint,
        token=settings.hub_token or None,
        cache_dir=Path(settings.cache_dir) / "hub-models",
    )
    return ModelFinder(local=local, hub=hub)


def submitter_from_settings(settings: Settings, queue: Store) -> Submitter:
    return Submitter(queue, finder_from_settings(settings), policy_from_settings(settings))


__all__ = [
    "ANONYMOUS_SENDER",
    "Accepted",
    "LocalModelSource",
    "LocatedModel",
    "ModelFacts",
    "ModelFinder",
    "ModelLookupError",
    "Outcome",
    "Policy",
    "Refusal",
    "SubmissionForm",
    "Submitter",
    "finder_from_settings",
    "policy_from_settings",
    "submitter_from_settings",
]
