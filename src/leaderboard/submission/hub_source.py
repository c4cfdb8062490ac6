"""Submitted models on the Hugging Face Hub (or any Hub-compatible server).

`locate` is one `model_info` call at the submitted revision: the resolved commit, likes,
license, tags, privacy, gating and the parameter count the Hub reads from safetensors.
`description_folder` downloads only the small files that describe the model (config,
tokenizer, card), pinned to that commit; weights are never downloaded here.
"""

from __future__ import annotations

from pathlib import Path

import httpx2  # huggingface_hub's HTTP client: its transport errors are not OSErrors
from huggingface_hub import HfApi, snapshot_download
from huggingface_hub.errors import (
    GatedRepoError,
    HfHubHTTPError,
    OfflineModeIsEnabled,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from leaderboard.submission.facts import (
    DESCRIPTION_FILES,
    LocatedModel,
    ModelLookupError,
)


class HubModelSource:
    def __init__(self, *, endpoint: str, token: str | None, cache_dir: str | Path):
        self.endpoint = endpoint.rstrip("/")
        self._token = token or False  # False: never fall back to a token found on disk
        self.cache_dir = Path(cache_dir)
        self.api = HfApi(endpoint=self.endpoint, token=self._token)

    def __repr__(self) -> str:  # never shows the token
        return f"HubModelSource({self.endpoint!r})"

    def locate(self, repo_id: str, revision: str) -> LocatedModel:
        try:
            info = self.api.model_info(repo_id, revision=revision)
        except GatedRepoError:
            raise ModelLookupError(_gated(repo_id)) from None
        except RevisionNotFoundError:
            raise ModelLookupError(
                f"{repo_id} has no revision {revision!r} on the Hub; give a branch, tag or "
                "commit that exists."
            ) from None
        except RepositoryNotFoundError:
            raise ModelLookupError(_not_found(repo_id)) from None
        except HfHubHTTPError as exc:
            status = exc.response.status_code if exc.response is not None else None
            if status in (401, 403, 404):  # what the Hub answers for private or missing repos
                raise ModelLookupError(_not_found(repo_id)) from None
            raise ModelLookupError(
                f"The Hub answered {status} when looking up {repo_id}; try again later."
            ) from None
        except (OfflineModeIsEnabled, OSError, httpx2.TransportError) as exc:
            raise ModelLookupError(
                f"The Hub could not be reached to look up {repo_id} ({type(exc).__name__}); "
                "try again later."
            ) from None
        if info.private:
            raise ModelLookupError(
                f"{repo_id} is private; make it public to have it evaluated on a public board."
            )
        if info.gated:
            raise ModelLookupError(_gated(repo_id))
        if info.disabled:
            raise ModelLookupError(f"{repo_id} has been disabled on the Hub.")
        card = info.card_data
        license_value = ""
        if card is not None and getattr(card, "license", None):
            license_value = str(card.license)
        tags = tuple(info.tags or ())
        if not license_value:
            license_value = next((t.split(":", 1)[1] for t in tags if t.startswith("license:")), "")
        return LocatedModel(
            repo_id=repo_id,
            revision=revision,
            sha=info.sha or "",
            source="hub",
            likes=int(info.likes or 0),
            license=license_value,
            tags=tags,
            parameters=dict(info.safetensors.parameters) if info.safetensors else None,
        )

    def parameters_by_dtype(self, located: LocatedModel) -> dict[str, int] | None:
        return located.parameters

    def description_folder(self, located: LocatedModel) -> Path:
        try:
            return Path(
                snapshot_download(
                    located.repo_id,
                    revision=located.sha,
                    allow_patterns=list(DESCRIPTION_FILES),
                    cache_dir=self.cache_dir,
                    endpoint=self.endpoint,
                    token=self._token,
                )
            )
        except GatedRepoError:
            raise ModelLookupError(_gated(located.repo_id)) from None
        except (OfflineModeIsEnabled, HfHubHTTPError, OSError, httpx2.TransportError) as exc:
            raise ModelLookupError(
                f"The files of {located.repo_id} could not be downloaded from the Hub "
                f"({type(exc).__name__}); try again later."
            ) from None


def _not_found(repo_id: str) -> str:
    return (
        f"{repo_id} was not found on the Hub. Check the spelling; private models cannot be "
        "evaluated."
    )


def _gated(repo_id: str) -> str:
    return (
        f"{repo_id} is gated on the Hub; gated models cannot be evaluated here. Remove the gate "
        "or ask the leaderboard's operator."
    )
