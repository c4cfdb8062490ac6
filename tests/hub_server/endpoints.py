"""Routing, and the account and repo endpoints: whoami, create_repo, validate-yaml, repo info
(with what the Hub derives from a model's files) and refs. Listings, downloads and uploads come
from the mixins below it."""

from __future__ import annotations

import hashlib
import json
import math
import re
import struct
from collections.abc import Mapping

import yaml

from .git_model import Commit, iso
from .listings import Listings
from .protocol import (
    MSG_ANONYMOUS,
    REPO_TYPES,
    URL_PREFIXES,
    HubError,
    Request,
    Response,
    json_body,
)
from .uploads import Uploads

DATASET_EXPAND = frozenset(
    [
        "author",
        "cardData",
        "citation",
        "createdAt",
        "disabled",
        "description",
        "downloads",
        "downloadsAllTime",
        "gated",
        "lastModified",
        "likes",
        "mainSize",
        "paperswithcode_id",
        "private",
        "siblings",
        "sha",
        "tags",
        "trendingScore",
        "usedStorage",
        "resourceGroup",
    ]
)


class Endpoints(Listings, Uploads):
    def _dispatch(self, request: Request) -> Response:
        segments, method = request.segments, request.method
        if segments[0] == "api":
            route = segments[1:]
            if route == ["whoami-v2"] and method == "GET":
                return self._whoami(request)
            if route == ["repos", "create"] and method == "POST":
                return self._create_repo(request)
            if route == ["validate-yaml"] and method == "POST":
                return self._validate_yaml(request)
            if len(route) >= 3 and route[0] in REPO_TYPES:
                repo_type, repo_id, rest = REPO_TYPES[route[0]], f"{route[1]}/{route[2]}", route[3:]
                return self._repo_api(request, repo_type, repo_id, rest)
        else:
            repo_type = (
                REPO_TYPES.get(segments[0]) if segments[0] in ("datasets", "spaces") else None
            )
            head = segments[1:] if repo_type else segments
            if len(head) >= 5 and head[2] == "resolve" and method in ("GET", "HEAD"):
                repo_id = f"{head[0]}/{head[1]}"
                return self._resolve(
                    request, repo_type or "model", repo_id, head[3], "/".join(head[4:])
                )
        raise HubError(404, "Sorry, we can't find the page you are looking for.")

    def _repo_api(
        self, request: Request, repo_type: str, repo_id: str, rest: list[str]
    ) -> Response:
        method = request.method
        action = rest[0] if rest else ""
        if not rest and method == "GET":
            return self._info(request, repo_type, repo_id, "main")
        if action == "revision" and len(rest) == 2 and method == "GET":
            return self._info(request, repo_type, repo_id, rest[1])
        if action == "tree" and len(rest) >= 2 and method == "GET":
            return self._tree(request, repo_type, repo_id, rest[1], "/".join(rest[2:]).strip("/"))
        if action == "paths-info" and len(rest) == 2 and method == "POST":
            return self._paths_info(request, repo_type, repo_id, rest[1])
        if action == "commits" and len(rest) <= 2 and method == "GET":
            return self._commits(request, repo_type, repo_id, rest[1] if len(rest) == 2 else "main")
        if action == "refs" and len(rest) == 1 and method == "GET":
            return self._refs(request, repo_type, repo_id)
        if action == "preupload" and len(rest) == 2 and method == "POST":
            return self._preupload(request, repo_type, repo_id, rest[1])
        if action == "commit" and len(rest) == 2 and method == "POST":
            return self._commit(request, repo_type, repo_id, rest[1])
        raise HubError(404, "Sorry, we can't find the page you are looking for.")

    # -- account and repos -----------------------------------------------------------------------

    def _whoami(self, request: Request) -> Response:
        token = self._token(request)
        if token is None:
            raise HubError(401, MSG_ANONYMOUS)
        return Response.json(
            {
                "type": "user",
                "id": hashlib.sha1(token.user.encode()).hexdigest()[:24],
                "name": token.user,
                "fullname": token.user,
                "orgs": [{"type": "org", "name": ns} for ns in sorted(token.namespaces or ())],
                "auth": {
                    "type": "access_token",
                    "accessToken": {"displayName": "hub-server", "role": token.role},
                },
            }
        )

    def _create_repo(self, request: Request) -> Response:
        token = self._token(request)
        payload = json_body(request)
        repo_type = payload.get("type") or "model"
        name, namespace = payload.get("name"), payload.get("organization")
        if repo_type not in URL_PREFIXES:
            raise HubError(400, f"Invalid repo type: {repo_type}")
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}", name):
            raise HubError(400, "Invalid repo name")
        if token is None:
            raise HubError(401, MSG_ANONYMOUS)
        namespace = namespace or token.user
        if token.role != "write" or not token.covers(namespace):
            message = f"You don't have the rights to create a {repo_type} under the namespace"
            raise HubError(403, f'{message} "{namespace}"')
        repo_id = f"{namespace}/{name}"
        private = (
            payload.get("visibility", "private" if payload.get("private") else "public") != "public"
        )
        with self._lock:
            if (repo_type, repo_id) in self._repos:
                url = self._repo_url(repo_type, repo_id)
                raise HubError(
                    409, f"You already created this {repo_type} repo", extra={"url": url}
                )
            repo = self._new_repo(repo_type, repo_id, private)
        return Response.json(
            {"url": self._repo_url(repo_type, repo_id), "name": repo_id, "id": repo.object_id}
        )

    @staticmethod
    def _validate_yaml(request: Request) -> Response:
        """A README's metadata header must be YAML mapping; 400 with `errors` otherwise."""
        content = str(json_body(request).get("content", ""))
        if content.startswith("---") and "\n---" in content:
            try:
                loaded = yaml.safe_load(content.split("\n---", 1)[0].removeprefix("---"))
            except yaml.YAMLError as exc:
                loaded = exc
            if loaded is not None and not isinstance(loaded, dict):
                error = {"message": f"Invalid YAML metadata: {loaded}"}
                return Response.json({"errors": [error], "warnings": []}, status=400)
        return Response.json({"errors": [], "warnings": []})

    def _info(self, request: Request, repo_type: str, repo_id: str, revision: str) -> Response:
        repo, _ = self._readable(request, repo_type, repo_id)
        with self._lock:
            commit = self._commit_at(repo, revision)
        blobs = request.flag("blobs")
        siblings = [
            {
                "rfilename": path,
                **({"blobId": commit.blobs[path], "size": len(content)} if blobs else {}),
            }
            for path, content in commit.files.items()
        ]
        info: dict[str, object] = {
            "_id": repo.object_id,
            "id": repo_id,
            **({"modelId": repo_id} if repo_type == "model" else {}),
            "author": repo_id.split("/")[0],
            "sha": commit.oid,
            "lastModified": iso(commit.date),
            "private": repo.private,
            "gated": repo.gated,
            "disabled": False,
            "downloads": 0,
            "likes": repo.likes,
            "tags": [],
            "description": "",
            "createdAt": iso(repo.created_at),
            "siblings": siblings,
            "usedStorage": sum(len(content) for content in commit.files.values()),
        }
        if repo_type == "model":
            info.update(model_metadata(commit))
        expand = request.query.get("expand", []) + request.query.get("expand[]", [])
        if expand:
            if blobs:
                raise HubError(400, "`expand` cannot be used with `blobs`")
            unknown = sorted(set(expand) - DATASET_EXPAND) if repo_type == "dataset" else []
            if unknown:
                raise HubError(
                    400, f'"expand" must be one of {sorted(DATASET_EXPAND)}, got {unknown}'
                )
            info = {key: value for key, value in info.items() if key in {"_id", "id", *expand}}
        return Response.json(info)

    def _refs(self, request: Request, repo_type: str, repo_id: str) -> Response:
        repo, _ = self._readable(request, repo_type, repo_id)
        with self._lock:

            def refs(kind: str, names: Mapping[str, str]) -> list[dict[str, str]]:
                return [
                    {"name": n, "ref": f"refs/{kind}/{n}", "targetCommit": o}
                    for n, o in names.items()
                ]

            payload: dict[str, object] = {
                "branches": refs("heads", repo.branches),
                "converts": [],
                "tags": refs("tags", repo.tags),
            }
        if request.flag("include_prs"):
            payload["pullRequests"] = []
        return Response.json(payload)


def model_metadata(commit: Commit) -> dict[str, object]:
    """What the Hub derives from a model repo's files: `cardData` and tags from the README's
    YAML header (with `license:<id>`), and `safetensors` (parameters per dtype) from the
    headers of its safetensors files."""
    extra: dict[str, object] = {}
    readme = commit.files.get("README.md", b"").decode("utf-8", errors="replace")
    card: dict = {}
    if readme.startswith("---") and "\n---" in readme:
        loaded = yaml.safe_load(readme.split("\n---", 1)[0].removeprefix("---"))
        card = loaded if isinstance(loaded, dict) else {}
    if card:
        extra["cardData"] = card
    tags = [str(tag) for tag in card.get("tags") or []]
    if card.get("license"):
        tags.append(f"license:{card['license']}")
    extra["tags"] = tags
    parameters: dict[str, int] = {}
    for path, content in commit.files.items():
        if not path.endswith(".safetensors") or len(content) < 8:
            continue
        (length,) = struct.unpack("<Q", content[:8])
        header = json.loads(content[8 : 8 + length])
        for name, tensor in header.items():
            if name != "__metadata__":
                count = math.prod(tensor["shape"])
                parameters[tensor["dtype"]] = parameters.get(tensor["dtype"], 0) + count
    if parameters:
        extra["safetensors"] = {"parameters": parameters, "total": sum(parameters.values())}
    return extra
