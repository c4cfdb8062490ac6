"""Listings and downloads: the tree (cursor pages through `Link`), paths-info, the commit
history (`p`/`limit` pages), and `resolve` (ETag, X-Repo-Commit, Range requests)."""

from __future__ import annotations

import base64
import binascii
import json
import re
from urllib.parse import parse_qs, quote, urlencode

from .access import Access
from .git_model import Commit, Repo, iso
from .protocol import MSG_ENTRY_NOT_FOUND, HubError, Request, Response, json_body


class Listings(Access):
    def _entry(self, repo: Repo, commit: Commit, path: str, expand: bool) -> dict[str, object]:
        kind, oid = commit.node(path)  # type: ignore[misc]
        entry: dict[str, object] = {"type": kind, "oid": oid, "size": 0, "path": path}
        if kind == "file":
            entry["size"] = len(commit.files[path])
        if expand:
            last = repo.last_commit(commit, path)
            entry["lastCommit"] = {"id": last.oid, "title": last.title, "date": iso(last.date)}
            if kind == "file":
                entry["securityFileStatus"] = {
                    "status": "safe",
                    "avScan": {"virusFound": False, "virusNames": None},
                    "pickleImportScan": None,
                }
        return entry

    @staticmethod
    def _children(commit: Commit, folder: str, recursive: bool) -> list[str]:
        """Paths under `folder`, folders before their contents, each level in git order."""
        prefix = f"{folder}/" if folder else ""
        nodes = [p for p in (*commit.trees, *commit.blobs) if p and p.startswith(prefix)]
        if not recursive:
            nodes = [p for p in nodes if "/" not in p[len(prefix) :]]
        return sorted(nodes, key=lambda p: p.split("/"))

    def _tree(
        self, request: Request, repo_type: str, repo_id: str, revision: str, path: str
    ) -> Response:
        repo, _ = self._readable(request, repo_type, repo_id)
        recursive, expand = request.flag("recursive"), request.flag("expand")
        with self._lock:
            offset, commit = 0, self._commit_at(repo, revision)
            if cursor := request.param("cursor"):
                # The cursor pins the commit listed first, so the pages of one listing never mix
                # two snapshots even if the branch moves in between.
                try:
                    state = json.loads(base64.urlsafe_b64decode(cursor.encode()))
                    commit, offset = repo.commits[state["commit"]], int(state["offset"])
                except (ValueError, KeyError, TypeError, binascii.Error) as error:
                    raise HubError(400, "Invalid cursor") from error
            if path and path not in commit.trees:
                raise HubError(
                    404, MSG_ENTRY_NOT_FOUND, "EntryNotFound", {"X-Repo-Commit": commit.oid}
                )
            paths = self._children(commit, path, recursive)
            size = 50 if expand else self.tree_page_size
            page = [self._entry(repo, commit, p, expand) for p in paths[offset : offset + size]]
        headers = {}
        if offset + size < len(paths):
            cursor = base64.urlsafe_b64encode(
                json.dumps({"commit": commit.oid, "offset": offset + size}).encode()
            ).decode()
            query = urlencode(
                {
                    "recursive": str(recursive).lower(),
                    "expand": str(expand).lower(),
                    "cursor": cursor,
                }
            )
            headers["Link"] = f'<{self.url}{request.raw_path}?{query}>; rel="next"'
        return Response.json(page, **headers)

    def _paths_info(
        self, request: Request, repo_type: str, repo_id: str, revision: str
    ) -> Response:
        repo, _ = self._readable(request, repo_type, repo_id)
        if "json" in request.headers.get("Content-Type", ""):
            form = json_body(request)
            paths, expand = list(form.get("paths") or []), bool(form.get("expand"))
        else:
            form = parse_qs(request.body.decode(), keep_blank_values=True)
            paths, expand = (
                form.get("paths", []),
                (form.get("expand") or [""])[-1].lower() == "true",
            )
        with self._lock:
            commit = self._commit_at(repo, revision)
            found = [p.strip("/") for p in paths if commit.node(p.strip("/")) and p.strip("/")]
            return Response.json([self._entry(repo, commit, p, expand) for p in found])

    def _commits(self, request: Request, repo_type: str, repo_id: str, revision: str) -> Response:
        repo, _ = self._readable(request, repo_type, repo_id)
        try:
            page = int(request.param("p") or 0)
            limit = int(request.param("limit") or self.commits_page_size)
        except ValueError as error:
            raise HubError(400, "Invalid pagination parameters") from error
        with self._lock:
            history = repo.history(self._commit_at(repo, revision))
        items = [
            {
                "id": c.oid,
                "title": c.title,
                "message": c.message,
                "authors": [{"user": c.author, "avatar": None}],
                "date": iso(c.date),
            }
            for c in history[page * limit : (page + 1) * limit]
        ]
        headers = {"X-Total-Count": str(len(history))}
        if (page + 1) * limit < len(history):
            query = urlencode({"p": page + 1, "limit": limit})
            headers["Link"] = f'<{self.url}{request.raw_path}?{query}>; rel="next"'
        return Response.json(items, **headers)

    # -- downloads -----------------------------------------------------------------------------

    def _resolve(
        self, request: Request, repo_type: str, repo_id: str, revision: str, path: str
    ) -> Response:
        repo, _ = self._readable(request, repo_type, repo_id)
        with self._lock:
            commit = self._commit_at(repo, revision)
        if path not in commit.files:
            raise HubError(404, MSG_ENTRY_NOT_FOUND, "EntryNotFound", {"X-Repo-Commit": commit.oid})
        content = commit.files[path]
        headers = {
            "ETag": f'"{commit.blobs[path]}"',
            "X-Repo-Commit": commit.oid,
            "Accept-Ranges": "bytes",
            "Content-Type": "application/json"
            if path.endswith(".json")
            else "application/octet-stream",
            "Content-Disposition": f"inline; filename*=UTF-8''{quote(path.rsplit('/', 1)[-1])}",
        }
        match = re.fullmatch(r"\s*bytes=(\d*)-(\d*)\s*", request.headers.get("Range") or "")
        if match and (match.group(1) or match.group(2)):
            start_text, end_text = match.groups()
            if start_text:
                start, end = (
                    int(start_text),
                    min(int(end_text or len(content) - 1), len(content) - 1),
                )
            else:
                start, end = max(len(content) - int(end_text), 0), len(content) - 1
            if start >= len(content) or start > end:
                headers["Content-Range"] = f"bytes */{len(content)}"
                return Response(416, b"", headers)
            headers["Content-Range"] = f"bytes {start}-{end}/{len(content)}"
            return Response(206, content[start : end + 1], headers)
        return Response(200, content, headers)
