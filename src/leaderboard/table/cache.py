"""The parquet cache of the entry frames, keyed by a fingerprint of everything that shapes a
row, so that a warm start can never show what the code no longer computes.

The fingerprint covers the package version; pandas' and pyarrow's (the parquet files); every
suite's definition (benchmarks, metric keys, shots, choices, normalization, averages: a
suite's `repr` holds all of it); the source of every module that reads files into entries
or builds boards from them (`domain/`, `suites/`, `table/`: the parsers, the field table,
the entry format); and the settings that change values (the CO2 factors). Changing any of
them gives another fingerprint, and the next start rebuilds from the files. Nothing is
bumped by hand.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

import orjson
import pandas as pd
import pyarrow

import leaderboard
from leaderboard.config import Settings
from leaderboard.suites import SUITES, Suite
from leaderboard.table.entries import Skipped

log = logging.getLogger(__name__)

PACKAGE = Path(leaderboard.__file__).resolve().parent
SHAPING_SOURCES = ("domain", "suites", "table")  # packages whose code shapes a row
_META, _RESULTS, _REQUESTS = "meta.json", "results.parquet", "requests.parquet"


def _board_file(suite: str) -> str:
    return f"board-{suite}.parquet"  # suite names are lowercase identifiers (registration)


def fingerprint(settings: Settings, suites: Mapping[str, Suite] = SUITES) -> str:
    digest = hashlib.sha256()
    for part in (leaderboard.__version__, pd.__version__, pyarrow.__version__):
        digest.update(f"{part}\n".encode())
    for name in sorted(suites):
        digest.update(repr(suites[name]).encode())
    for folder in SHAPING_SOURCES:
        for source in sorted((PACKAGE / folder).glob("*.py")):
            digest.update(source.name.encode())
            digest.update(source.read_bytes())
    digest.update(f"{settings.co2_power_kw!r} {settings.co2_grid_g_per_kwh!r}".encode())
    return digest.hexdigest()


def cache_folder(settings: Settings, results_location: str, queue_location: str) -> Path:
    """One folder per pair of stores."""
    key = hashlib.sha256(f"{results_location}\n{queue_location}".encode()).hexdigest()
    return Path(settings.cache_dir) / key[:16]


@dataclass(frozen=True)
class CachedEntries:
    results: pd.DataFrame
    requests: pd.DataFrame
    skipped: tuple[Skipped, ...]
    # The boards built from these entries, so that a warm start need not build them again.
    boards: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    board_order: tuple[str, ...] = ()


class EntryCache:
    """The entry frames of one pair of stores, with the fingerprint they were built under."""

    def __init__(self, folder: Path, fingerprint: str):
        self.folder = folder
        self.fingerprint = fingerprint

    def read(self, results_columns: list[str], request_columns: list[str]) -> CachedEntries | None:
        """The cached entries, or None when there are none, they were built under another
        fingerprint, or they cannot be read (then with a log line: the files are read)."""
        try:
            meta = orjson.loads((self.folder / _META).read_bytes())
            if meta.get("fingerprint") != self.fingerprint:
                log.info("The table cache in %s is of other code or settings", self.folder)
                return None
            results = pd.read_parquet(self.folder / _RESULTS)
            requests = pd.read_parquet(self.folder / _REQUESTS)
            skipped = tuple(Skipped(**item) for item in meta.get("skipped", []))
            order = tuple(meta.get("board_order", ()))
            boards = {name: pd.read_parquet(self.folder / _board_file(name)) for name in order}
        except FileNotFoundError:
            return None
        except Exception as exc:
            log.warning("Ignoring the table cache in %s: %s", self.folder, exc)
            return None
        if list(results.columns) != results_columns or list(requests.columns) != request_columns:
            log.warning("Ignoring the table cache in %s: other columns", self.folder)
            return None
        return CachedEntries(results, requests, skipped, boards, order)

    def write(self, entries: CachedEntries, *, stores: tuple[str, str]) -> None:
        """Replace the cache, each file atomically, meta last: a reader that finds the new
        fingerprint finds the frames written under it."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            (self.folder / _META).unlink(missing_ok=True)
            frames = [(_RESULTS, entries.results), (_REQUESTS, entries.requests)]
            frames += [(_board_file(name), entries.boards[name]) for name in entries.board_order]
            for name, frame in frames:
                temp = self.folder / f".{name}.tmp"
                frame.to_parquet(temp, index=False)
                temp.replace(self.folder / name)
            meta = {
                "fingerprint": self.fingerprint,
                "results_store": stores[0],
                "queue_store": stores[1],
                "skipped": [asdict(s) for s in entries.skipped],
                "board_order": list(entries.board_order),
            }
            temp = self.folder / f".{_META}.tmp"
            temp.write_bytes(orjson.dumps(meta))
            temp.replace(self.folder / _META)
        except OSError as exc:
            log.warning("Could not write the table cache in %s: %s", self.folder, exc)
