"""File-system events for a local store: which files changed since the last look, so that a
refresh reads those files instead of listing the whole store (seconds at 100,000 models).

`watchdog` does the watching (inotify on Linux, FSEvents on macOS, polling elsewhere). The
watch only says which paths to look at again; the loader still reads each file's version
from the store, and a periodic full listing remains the safety net for whatever events may
miss (a folder watched late, an overflowed event queue, a network file system).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer

log = logging.getLogger(__name__)

# The events that can change what a store holds. Not opens and reads: asked for, inotify
# would report every folder a listing opens and every file a build reads (200,000 events for
# one listing at 100,000 models, each handled in Python while the listing waits for the GIL).
WATCHED_EVENTS = [
    FileCreatedEvent,
    FileModifiedEvent,
    FileClosedEvent,
    FileMovedEvent,
    FileDeletedEvent,
    DirCreatedEvent,
    DirMovedEvent,
    DirDeletedEvent,
]


class FolderWatch(FileSystemEventHandler):
    """The paths (relative, `/`-separated) of files ending in `suffix` under `root` that were
    created, changed, moved or deleted since the last `drain()`. `drain()` answers None when
    the watch cannot vouch for what it saw (not running, or an error): then list everything.
    """

    def __init__(self, root: Path, suffix: str = ".json"):
        self.root = Path(os.path.realpath(root))
        self.suffix = suffix
        self._lock = threading.Lock()
        self._changed: set[str] = set()
        self._trusted = False
        self._observer: Observer | None = None
        self._listeners: list[Callable[[], None]] = []

    def start(self) -> bool:
        """Start watching; False (with a log line) when the system refuses, e.g. inotify's
        limit on watched folders (`fs.inotify.max_user_watches`) below the store's folders."""
        observer = Observer()
        observer.daemon = True
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            observer.schedule(self, str(self.root), recursive=True, event_filter=WATCHED_EVENTS)
            observer.start()
        except OSError as exc:
            log.warning("Not watching %s for changes (%s); listing it on refresh", self.root, exc)
            return False
        self._observer = observer
        with self._lock:
            self._trusted = True
        return True

    def stop(self) -> None:
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(timeout=5)
            self._observer = None
        with self._lock:
            self._trusted = False

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call `listener` (from the watching thread) after each relevant event."""
        self._listeners.append(listener)

    def drain(self) -> set[str] | None:
        with self._lock:
            if not self._trusted or self._observer is None or not self._observer.is_alive():
                self._changed.clear()
                return None
            changed, self._changed = self._changed, set()
            return changed

    # -- watchdog ------------------------------------------------------------------------------

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        paths = [event.src_path, getattr(event, "dest_path", "")]
        relevant = [p for p in (self._relative(p) for p in paths if p) if p is not None]
        if event.is_directory and event.event_type in ("moved", "deleted"):
            with self._lock:  # a folder's files moved or went with it: list everything once
                self._trusted = False
            self._notify()
            return
        if not relevant:
            return
        with self._lock:
            self._changed.update(relevant)
        self._notify()

    def _relative(self, path: str | bytes) -> str | None:
        text = os.fsdecode(path)
        try:
            relative = Path(text).relative_to(self.root).as_posix()
        except ValueError:
            return None
        parts = relative.split("/")
        if not relative.endswith(self.suffix) or any(part.startswith(".") for part in parts):
            return None  # temporary files of atomic writes (`.name.tmp`) and hidden ones
        return relative

    def _notify(self) -> None:
        for listener in self._listeners:
            try:
                listener()
            except Exception:  # a listener's bug must not stop the watch
                log.exception("A change listener failed")

    def reset(self) -> None:
        """Call just before a full listing: what happened until now, the listing sees; the
        events from now on are recorded again, and trusted."""
        with self._lock:
            self._trusted = self._observer is not None and self._observer.is_alive()
            self._changed.clear()
