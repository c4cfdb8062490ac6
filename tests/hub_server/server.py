"""`HubServer`: the state, its lifecycle on a free loopback port, direct access for tests, and
the request cycle (a fault first, if one is injected; then routing to an endpoint)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import uuid
from collections.abc import Mapping
from urllib.parse import parse_qs, unquote

from .endpoints import Endpoints
from .faults import Fault, Instrumentation, RequestRecord, fault_response
from .git_model import Commit, Repo, Token
from .protocol import (
    MSG_SERVER_ERROR,
    REPO_TYPES,
    Handler,
    HTTPServer,
    HubError,
    Request,
    Response,
)

DEFAULT_TOKEN = "hf_hubserver_write_token"
DEFAULT_READ_TOKEN = "hf_hubserver_read_token"
DEFAULT_USER = "hub-user"


class HubServer(Endpoints, Instrumentation):
    """A Hub on loopback. Use as a context manager, or `start()`/`stop()`.

    `token` (write) and `read_token` (read) are accepted from the start, both for user `user`
    and every namespace; `add_token` adds more. `tree_page_size` / `commits_page_size` are the
    page sizes of the paginated listings (the Hub's are 1000 tree entries, 50 with `expand`,
    and 50 commits); lower them to exercise the client's pagination.
    """

    def __init__(
        self,
        *,
        token: str = DEFAULT_TOKEN,
        read_token: str = DEFAULT_READ_TOKEN,
        user: str = DEFAULT_USER,
        tree_page_size: int = 1000,
        commits_page_size: int = 50,
    ):
        self.token, self.read_token, self.user = token, read_token, user
        self.tree_page_size = tree_page_size
        self.commits_page_size = commits_page_size
        self._tokens: dict[str, Token] = {
            token: Token(user, "write"),
            read_token: Token(user, "read"),
        }
        self._repos: dict[tuple[str, str], Repo] = {}
        self._lock = threading.RLock()  # guards repos, tokens, log and faults
        self._log: list[RequestRecord] = []
        self._faults: list[Fault] = []
        self._connections: set[socket.socket] = set()
        self._httpd: HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.internal_errors: list[BaseException] = []  # bugs in this server, for tests to check

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> HubServer:
        self._httpd = HTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.hub = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:  # wake handler threads idling on keep-alive
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self._httpd = None

    def __enter__(self) -> HubServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The endpoint to give `HfApi(endpoint=...)` and `hf_hub_download(endpoint=...)`."""
        assert self._httpd is not None, "server not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    # -- direct access for tests (no HTTP, not logged) ---------------------------------------

    def add_token(
        self, token: str, user: str, role: str = "write", namespaces: set[str] | None = None
    ) -> None:
        with self._lock:
            self._tokens[token] = Token(user, role, frozenset(namespaces) if namespaces else None)

    def create_repo(
        self,
        repo_id: str,
        repo_type: str = "dataset",
        *,
        private: bool = False,
        files: Mapping[str, bytes | str] | None = None,
        gated: str | bool = False,
        likes: int = 0,
    ) -> str:
        """Create a repo as the Hub does (initial commit with .gitattributes), optionally with a
        second commit holding `files`; returns the head sha."""
        with self._lock:
            repo = self._new_repo(repo_type, repo_id, private)
            repo.gated, repo.likes = gated, likes
            if files:
                contents = {p: c.encode() if isinstance(c, str) else c for p, c in files.items()}
                head = repo.commits[repo.branches["main"]]
                self._add_commit(
                    repo, "main", {**head.files, **contents}, "Seed files", "", self.user
                )
            return repo.branches["main"]

    def head(self, repo_id: str, repo_type: str = "dataset", branch: str = "main") -> str:
        with self._lock:
            return self._repos[(repo_type, repo_id)].branches[branch]

    def files(
        self, repo_id: str, repo_type: str = "dataset", revision: str = "main"
    ) -> Mapping[str, bytes]:
        with self._lock:
            commit = self._repos[(repo_type, repo_id)].resolve(revision)
            assert commit is not None, f"unknown revision {revision}"
            return commit.files

    def commits(
        self, repo_id: str, repo_type: str = "dataset", branch: str = "main"
    ) -> list[Commit]:
        """The branch's history, newest first."""
        with self._lock:
            repo = self._repos[(repo_type, repo_id)]
            return repo.history(repo.commits[repo.branches[branch]])

    # -- request cycle -----------------------------------------------------------------------

    def _serve(self, handler: Handler) -> None:
        raw_path, _, query = handler.path.partition("?")
        body = handler.read_body()  # always read all of it, even to answer with a fault
        fault = self._take_fault(handler.command, raw_path)
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        if fault is not None and fault.race is not None:
            try:
                self._race(raw_path, fault.race)
            except Exception as error:  # a race on a path that is no commit: the test's bug
                self.internal_errors.append(error)
        response = None
        if fault is None or fault.after_apply or fault.action == "race":
            response = self._answer(handler, raw_path, query, body)
        note = None
        if fault is not None and fault.action != "race":
            note = f"status {fault.status}" if fault.action == "status" else fault.action
            note += " after apply" if fault.after_apply else ""
            response = fault_response(fault) if fault.action == "status" else None
        elif fault is not None:
            note = "race"
        request_id = None
        if response is not None:  # every answer carries one, as on the Hub
            request_id = response.headers.setdefault("X-Request-Id", f"Root={uuid.uuid4()}")
        # Logged before answering: once the client has its answer, the log already shows it.
        status = response.status if response is not None else None
        self._record(RequestRecord(handler.command, raw_path, query, status, note, request_id))
        if response is not None:
            with contextlib.suppress(OSError):
                handler.send(response)
        else:
            handler.drop(reset=fault is not None and fault.action == "reset")

    def _race(self, raw_path: str, files: Mapping[str, bytes]) -> None:
        """Another writer commits `files` to the branch a commit request names."""
        segments = [unquote(s) for s in raw_path.strip("/").split("/")]
        if len(segments) != 6 or segments[0] != "api" or segments[4] != "commit":
            raise ValueError(f"a race fault needs a commit path, not {raw_path}")
        repo_id, branch = f"{segments[2]}/{segments[3]}", segments[5]
        with self._lock:
            repo = self._repos[(REPO_TYPES[segments[1]], repo_id)]
            head = repo.commits[repo.branches[branch]]
            self._add_commit(
                repo, branch, {**head.files, **files}, "Concurrent commit", "", "other-writer"
            )

    def _answer(self, handler: Handler, raw_path: str, query: str, body: bytes) -> Response:
        request = Request(
            method=handler.command,
            raw_path=raw_path,
            segments=[unquote(s) for s in raw_path.strip("/").split("/")],
            query=parse_qs(query, keep_blank_values=True),
            headers=handler.headers,
            body=body,
        )
        try:
            return self._dispatch(request)
        except HubError as error:
            return error.response()
        except Exception as error:  # a bug here: answer like the Hub, keep it for the test
            self.internal_errors.append(error)
            return HubError(500, MSG_SERVER_ERROR).response()
