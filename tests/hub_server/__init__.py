"""A Hugging Face Hub stand-in for tests, served over real HTTP on loopback.

The real Hub (huggingface.co) cannot be reached from this project's machines, yet the Hub stores
must be tested through the real `huggingface_hub` client (`HfApi(endpoint=...)`,
`hf_hub_download`, `snapshot_download`). This package is that Hub: an in-memory, thread-safe git
host speaking the Hub's HTTP API on `http://127.0.0.1:<free port>`, with the same paths, methods,
JSON shapes, headers and status codes that `huggingface_hub` 2.4 sends and expects (read from the
client's source: `hf_api.py`, `_commit_api.py`, `file_download.py`, `utils/_http.py`,
`utils/_pagination.py`).

Endpoints (`{type}` is `models`, `datasets` or `spaces`; `{rev}` a branch, tag, `refs/heads/X`,
full commit sha or unique sha prefix, URL-quoted as the client does):

    POST /api/repos/create                          create_repo (409 when it exists)
    POST /api/validate-yaml                         a README's metadata, checked before upload
    GET  /api/whoami-v2                             whoami
    GET  /api/{type}/{ns}/{name}                    repo_info / dataset_info (main)
    GET  /api/{type}/{ns}/{name}/revision/{rev}     repo_info(revision=...), `blobs`, `expand`;
                                                    for models also `cardData`, `license:` tags
                                                    and `safetensors` (parameters per dtype),
                                                    derived from the files as the Hub does
    GET  /api/{type}/{ns}/{name}/tree/{rev}[/{path}]  list_repo_tree, `recursive`, `expand`,
                                                    cursor pagination through the `Link` header
    POST /api/{type}/{ns}/{name}/paths-info/{rev}   get_paths_info (form body `paths`, `expand`)
    GET  /api/{type}/{ns}/{name}/commits/{rev}      list_repo_commits, `p`/`limit` pages + `Link`
    GET  /api/{type}/{ns}/{name}/refs               list_repo_refs
    POST /api/{type}/{ns}/{name}/preupload/{rev}    create_commit step 1: every file is "regular"
    POST /api/{type}/{ns}/{name}/commit/{rev}       create_commit step 2: NDJSON `header`, `file`
                                                    (base64), `deletedFile`, `deletedFolder`;
                                                    all-or-nothing; `parentCommit` precondition
    HEAD/GET /[{type}/]{ns}/{name}/resolve/{rev}/{path}   hf_hub_download / file_exists:
                                                    ETag = quoted git blob sha1, X-Repo-Commit,
                                                    Content-Length, Range requests

Errors are what the real Hub answers, as JSON `{"error": msg}` plus `X-Error-Message` (and
`X-Error-Code` where the Hub sets one), which is what `hf_raise_for_status` turns into typed
exceptions:

    401 "Invalid credentials in Authorization header"   unknown token, on any request
    401 "Invalid username or password."                 anonymous request to a private or
                                                        missing repo (no X-Error-Code)
    403 "you must use a write token to upload to a repository"   read token on a write
    404 RepoNotFound "Repository not found"              authenticated, repo missing/invisible
    404 RevisionNotFound "Invalid rev id: <rev>"
    404 EntryNotFound "Entry not found" (resolve/tree; X-Repo-Commit on resolve)
    404 EntryNotFound "A file with this name doesn't exist"   commit deleting a missing path
    409 "You already created this dataset repo"
    412 "A commit has happened since. Please refresh and try again."   stale parentCommit
    429 "You have exceeded our hourly quotas for action: commit. We invite you to retry later."
                                                        a commit over the repo's quota, with
                                                        Retry-After (only after limit_commits)
    400 malformed requests, and what this stand-in does not implement (LFS/Xet uploads, PRs)

Deliberate limits: no LFS or Xet (preupload answers "regular" for every file, so the client sends
contents inline, base64); no pull requests, branches beyond those seeded, renames or redirects.

Every answer carries an `X-Request-Id` (`Root=<uuid>`), as the Hub's do; `huggingface_hub` quotes
it in its errors (`HfHubHTTPError.request_id`).

Test instrumentation: `HubServer.requests()` is the log of (method, path, status, request id)
for counting e.g. downloads; `HubServer.inject()` makes the next N requests matching (method,
path regex) answer 429 (with Retry-After, in seconds or as an HTTP-date) or 5xx (optionally with
Retry-After), drop or reset the connection without a response, optionally after applying the
request (a commit that lands but whose answer is lost), or lose a race (`race=`: another writer
commits first, so a commit naming the old head gets the real 412). `HubServer.limit_commits()`
sets the Hub's commit quota: so many commits per repo and window, then that 429 until the
window ends (`requests("POST", r"/commit/")` counts the commit POSTs).

The package, by job (imports go one way, down this list):

    git_model.py   git ids (blob, tree, commit shas as git computes them), commits, repos, tokens
    protocol.py    requests, responses, the Hub's error shapes and messages, the HTTP handler
    access.py      who may read or write a repo; a new repo, a new commit on a branch
    quota.py       the commit quota (commits per repo and window, then 429 with Retry-After)
    listings.py    tree, paths-info, commits listing, resolve (downloads)
    uploads.py     preupload and the NDJSON commit with its parentCommit precondition
    endpoints.py   routing, whoami, create_repo, validate-yaml, repo info, refs
    faults.py      the request log and injected faults
    server.py      `HubServer`: state, lifecycle, direct access for tests, the request cycle
    fixtures.py    `hub_server` (pytest fixture), `serve_hub`, `allow_hub_requests`

Test modules get the fixture with `pytest_plugins = ["hub_server"]` in the root conftest (this
package re-exports it), and the rest with `from hub_server import ...`.
"""

from .faults import Fault, RequestRecord
from .fixtures import allow_hub_requests, hub_server, serve_hub
from .git_model import DEFAULT_GITATTRIBUTES, Commit, Repo, Token, blob_sha, git_object_sha
from .protocol import (
    MSG_ANONYMOUS,
    MSG_COMMIT_QUOTA,
    MSG_ENTRY_NOT_FOUND,
    MSG_INVALID_TOKEN,
    MSG_MISSING_FILE,
    MSG_PARENT_MOVED,
    MSG_READ_TOKEN,
    MSG_REPO_NOT_FOUND,
    MSG_SERVER_ERROR,
    HubError,
    Request,
    Response,
)
from .server import DEFAULT_READ_TOKEN, DEFAULT_TOKEN, DEFAULT_USER, HubServer

__all__ = [
    "DEFAULT_GITATTRIBUTES",
    "DEFAULT_READ_TOKEN",
    "DEFAULT_TOKEN",
    "DEFAULT_USER",
    "MSG_ANONYMOUS",
    "MSG_COMMIT_QUOTA",
    "MSG_ENTRY_NOT_FOUND",
    "MSG_INVALID_TOKEN",
    "MSG_MISSING_FILE",
    "MSG_PARENT_MOVED",
    "MSG_READ_TOKEN",
    "MSG_REPO_NOT_FOUND",
    "MSG_SERVER_ERROR",
    "Commit",
    "Fault",
    "HubError",
    "HubServer",
    "Repo",
    "Request",
    "RequestRecord",
    "Response",
    "Token",
    "allow_hub_requests",
    "blob_sha",
    "git_object_sha",
    "hub_server",
    "serve_hub",
]
