"""Uploads: `preupload` (every file "regular", so the client sends contents inline) and the
NDJSON `commit` endpoint: all-or-nothing, with the commit quota and the `parentCommit`
precondition checked and the branch moved under one lock, as the Hub's compare-and-swap does."""

from __future__ import annotations

import base64
import binascii
import json

from .access import Access
from .protocol import (
    MSG_MISSING_FILE,
    MSG_PARENT_MOVED,
    HubError,
    Request,
    Response,
    json_body,
    revision_not_found,
)
from .quota import CommitQuotas


class Uploads(Access, CommitQuotas):
    def _preupload(self, request: Request, repo_type: str, repo_id: str, revision: str) -> Response:
        repo, _ = self._writable(request, repo_type, repo_id)
        if request.flag("create_pr"):
            raise HubError(400, "Pull requests are not supported by this test Hub")
        files = json_body(request).get("files")
        if not isinstance(files, list):
            raise HubError(400, '"files" must be a list')
        with self._lock:
            commit = self._commit_at(repo, revision)
        answer = []
        for item in files:
            path = item.get("path") if isinstance(item, dict) else None
            if not isinstance(path, str):
                raise HubError(400, "Each file needs a path")
            entry = {"path": path, "uploadMode": "regular", "shouldIgnore": False}
            if path in commit.blobs:
                entry["oid"] = commit.blobs[path]  # lets the client skip unchanged files
            answer.append(entry)
        return Response.json({"files": answer})

    def _commit(self, request: Request, repo_type: str, repo_id: str, revision: str) -> Response:
        repo, token = self._writable(request, repo_type, repo_id)
        if request.flag("create_pr"):
            raise HubError(400, "Pull requests are not supported by this test Hub")
        try:
            lines = [
                json.loads(line) for line in request.body.decode().splitlines() if line.strip()
            ]
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise HubError(400, f"Invalid NDJSON commit payload: {error}") from error
        if not lines or not isinstance(lines[0], dict) or lines[0].get("key") != "header":
            raise HubError(400, "The first line of a commit payload must be its header")
        header = lines[0].get("value") or {}
        title = str(header.get("summary") or "").strip()
        if not title:
            raise HubError(400, "Commit summary is required")
        parent = header.get("parentCommit")
        with self._lock:  # check-and-set: nothing else commits between the check and the move
            self._refuse_over_quota((repo_type, repo_id))
            if revision not in repo.branches:
                raise revision_not_found(revision)
            head = repo.commits[repo.branches[revision]]
            if parent is not None and not (
                isinstance(parent, str) and len(parent) >= 5 and head.oid.startswith(parent.lower())
            ):
                raise HubError(412, MSG_PARENT_MOVED)
            files = _apply_operations(dict(head.files), lines[1:])
            commit = self._add_commit(
                repo, revision, files, title, str(header.get("description") or ""), token.user
            )
            self._count_commit((repo_type, repo_id))
        return Response.json(
            {
                "success": True,
                "commitOid": commit.oid,
                "commitUrl": f"{self._repo_url(repo_type, repo_id)}/commit/{commit.oid}",
                "hookOutput": "",
                "pullRequestUrl": None,
            }
        )


def _valid_path(path: object) -> str:
    if not isinstance(path, str) or not path.strip("/"):
        raise HubError(400, "A path is required")
    path = path.strip("/")
    if any(part in ("", ".", "..") for part in path.split("/")) or "\0" in path:
        raise HubError(400, f"Invalid path: {path!r}")
    return path


def _apply_operations(files: dict[str, bytes], operations: list[object]) -> dict[str, bytes]:
    """Apply a commit's operations to a copy of the head's files; any error refuses them all."""
    for line in operations:
        if not isinstance(line, dict) or not isinstance(line.get("value"), dict):
            raise HubError(400, "Each commit line must be {'key': ..., 'value': {...}}")
        key, value = line.get("key"), line["value"]
        path = _valid_path(value.get("path"))
        if key == "file":
            content = value.get("content", "")
            try:
                data = (
                    base64.b64decode(content, validate=True)
                    if value.get("encoding") == "base64"
                    else str(content).encode()
                )
            except binascii.Error as error:
                raise HubError(400, f"Invalid base64 content for {path}") from error
            if any(existing.startswith(f"{path}/") for existing in files):
                raise HubError(400, f"Cannot create file {path}: a folder of that name exists")
            parts = path.split("/")
            if any("/".join(parts[:i]) in files for i in range(1, len(parts))):
                raise HubError(400, f"Cannot create file {path}: a parent of it is a file")
            files[path] = data
        elif key == "deletedFile":
            if path not in files:
                raise HubError(404, MSG_MISSING_FILE, "EntryNotFound")
            del files[path]
        elif key == "deletedFolder":
            doomed = [p for p in files if p.startswith(f"{path}/")]
            if not doomed:
                raise HubError(404, MSG_MISSING_FILE, "EntryNotFound")
            for p in doomed:
                del files[p]
        elif key == "lfsFile":
            raise HubError(400, "This test Hub stores regular files only (no LFS/Xet uploads)")
        else:
            raise HubError(400, f"Unknown commit operation: {key!r}")
    return files
