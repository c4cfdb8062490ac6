"""Who may see and change what, and the two state changes every endpoint builds on (a new
repo, a new commit on a branch). Mixed into `HubServer`, which owns the state and its lock."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Mapping
from datetime import UTC, datetime

from .git_model import DEFAULT_GITATTRIBUTES, Commit, Repo, Token
from .protocol import (
    MSG_ANONYMOUS,
    MSG_INVALID_TOKEN,
    MSG_READ_TOKEN,
    URL_PREFIXES,
    HubError,
    Request,
    repo_not_found,
    revision_not_found,
)


class Access:
    _lock: threading.RLock  # guards repos and tokens
    _tokens: dict[str, Token]
    _repos: dict[tuple[str, str], Repo]
    url: str

    def _token(self, request: Request) -> Token | None:
        """The caller's token; an unknown one is refused on every endpoint, as on the Hub."""
        header = request.headers.get("Authorization")
        if not header:
            return None
        scheme, _, value = header.partition(" ")
        with self._lock:
            token = self._tokens.get(value.strip()) if scheme.lower() == "bearer" else None
        if token is None:
            raise HubError(401, MSG_INVALID_TOKEN)
        return token

    def _readable(
        self, request: Request, repo_type: str, repo_id: str
    ) -> tuple[Repo, Token | None]:
        token = self._token(request)
        with self._lock:
            repo = self._repos.get((repo_type, repo_id))
        if repo is None or (
            repo.private and (token is None or not token.covers(repo_id.split("/")[0]))
        ):
            raise repo_not_found(token)
        return repo, token

    def _writable(self, request: Request, repo_type: str, repo_id: str) -> tuple[Repo, Token]:
        repo, token = self._readable(request, repo_type, repo_id)
        if token is None:
            raise HubError(401, MSG_ANONYMOUS)
        if token.role != "write":
            raise HubError(403, MSG_READ_TOKEN)
        if not token.covers(repo_id.split("/")[0]):
            raise HubError(403, f"You don't have the rights to write to {repo_type} {repo_id}")
        return repo, token

    @staticmethod
    def _commit_at(repo: Repo, revision: str) -> Commit:
        commit = repo.resolve(revision)
        if commit is None:
            raise revision_not_found(revision)
        return commit

    def _new_repo(self, repo_type: str, repo_id: str, private: bool) -> Repo:
        repo = Repo(repo_type, repo_id, private, datetime.now(UTC), secrets.token_hex(12))
        self._add_commit(
            repo, "main", {".gitattributes": DEFAULT_GITATTRIBUTES}, "initial commit", "", "system"
        )
        self._repos[(repo_type, repo_id)] = repo
        return repo

    def _add_commit(
        self,
        repo: Repo,
        branch: str,
        files: Mapping[str, bytes],
        title: str,
        message: str,
        author: str,
    ) -> Commit:
        parents = (repo.branches[branch],) if branch in repo.branches else ()
        commit = Commit.create(files, parents, title, message, author)
        repo.commits[commit.oid] = commit
        repo.branches[branch] = commit.oid
        return commit

    def _repo_url(self, repo_type: str, repo_id: str) -> str:
        return f"{self.url}/{URL_PREFIXES[repo_type]}{repo_id}"
