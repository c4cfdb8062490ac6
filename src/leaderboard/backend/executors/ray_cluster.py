"""`ray`: each evaluation a Ray actor on a node of a Ray cluster, holding the GPUs its layout
asks for.

The worker stays the one that claims, renews and publishes (the queue is the one source of
truth; Ray only runs). For each claimed request it reserves a placement group of one bundle
(`{"GPU": n}`, STRICT_PACK: an evaluation's GPUs are on one node), starts an
`EvaluationActor` in it, and the actor runs the same child process as the `local`
executor, seeing the GPUs Ray gave it (`CUDA_VISIBLE_DEVICES`). The worker polls the actor
without waiting on it: each answer brings the log written since the last one (appended to
the worker's local log, where progress is read as with `local`); at the end the actor sends
lm-eval's output folder back as one archive. A node that dies, or an actor killed, ends the
evaluation as lost: the worker returns the request under the lease rules (retried, then
FAILED "worker lost").

The project reaches the nodes as a runtime environment (`py_modules`: this package, its task
files included); what it imports (lm-eval, transformers, torch) must be installed on the
nodes, as the same image on every node of a KubeRay cluster is. Models load from the Hub on
the node, or from a folder every node sees at the same path (LEADERBOARD_LOCAL_MODELS).
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import shutil
import signal
import tarfile
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import orjson

import leaderboard
from leaderboard.backend.executors.base import DEFAULT_GPU_MEMORY_GB, Capacity, Unavailable
from leaderboard.backend.resources import Layout
from leaderboard.backend.runner import RunOutcome, log_tail
from leaderboard.backend.spec import EvalSpec
from leaderboard.config import Settings

log = logging.getLogger(__name__)

PLACEMENT_SECONDS = 30.0  # how long a reservation may wait for its node
COLLECT_SECONDS = 600.0  # how long the output folder may take to come back


class EvaluationActor:
    """On a cluster node: one evaluation in a child process (`runner.EvaluationProcess`),
    in a folder of its own on that node."""

    def __init__(self, spec_json: dict):
        import ray

        from leaderboard.backend.runner import EvaluationProcess
        from leaderboard.tasks import TASKS_DIR

        self.folder = Path(tempfile.mkdtemp(prefix="leaderboard-ray-"))
        spec = EvalSpec.from_json(spec_json)
        # The spec names the worker's folders; here they are this node's.
        spec = replace(
            spec,
            output_dir=str(self.folder / "output"),
            include_path=str(TASKS_DIR) if spec.include_path else "",
        )
        log_path = self.folder / "eval.log"
        gpus = ray.get_gpu_ids()
        context = ray.get_runtime_context()
        log_path.write_text(
            f"leaderboard: Ray node {context.get_node_id()}, GPUs {list(gpus)}, "
            f"CUDA_VISIBLE_DEVICES={os.environ.get('CUDA_VISIBLE_DEVICES', '')}\n"
        )
        self.process = EvaluationProcess(spec, log_path=log_path)

    def poll(self, offset: int) -> tuple[dict | None, bytes]:
        """(the outcome once ended, else None; the log from `offset` on)."""
        outcome = self.process.poll()
        with open(self.process.log_path, "rb") as handle:
            handle.seek(offset)
            chunk = handle.read()
        if outcome is None:
            return None, chunk
        return {"ok": outcome.ok, "reason": outcome.reason, "seconds": outcome.seconds}, chunk

    def collect(self) -> bytes:
        """lm-eval's output folder as a gzipped tar."""
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
            for path in sorted(self.process.output_dir.rglob("*")):
                if path.is_file() and not path.is_symlink():
                    archive.add(path, arcname=str(path.relative_to(self.process.output_dir)))
        return buffer.getvalue()

    def stop(self) -> None:
        self.process.kill()
        shutil.rmtree(self.folder, ignore_errors=True)


class RayExecution:
    """The worker's side of one actor: polls without blocking, mirrors its log here."""

    def __init__(self, executor: RayExecutor, actor, group, *, log_path: Path, output_dir: Path):
        self.executor = executor
        self.actor = actor
        self.group = group
        self.log_path = log_path
        self.output_dir = output_dir
        self.offset = 0
        self.pending = actor.poll.remote(0)
        self.ended = False

    def poll(self) -> RunOutcome | None:
        ray = self.executor.ray
        ready, _ = ray.wait([self.pending], timeout=0)
        if not ready:
            return None
        try:
            answer, chunk = ray.get(self.pending)
        except (ray.exceptions.RayActorError, ray.exceptions.WorkerCrashedError) as exc:
            return self._lost(exc)
        self._append(chunk)
        if answer is None:
            self.pending = self.actor.poll.remote(self.offset)
            return None
        if answer["ok"]:
            try:
                self._unpack(ray.get(self.actor.collect.remote(), timeout=COLLECT_SECONDS))
            except (ray.exceptions.RayActorError, ray.exceptions.WorkerCrashedError) as exc:
                return self._lost(exc)
        self._release()
        return RunOutcome(
            ok=answer["ok"],
            reason=answer["reason"],
            log_tail=log_tail(self.log_path) if not answer["ok"] else "",
            seconds=answer["seconds"],
        )

    def cancel(self) -> None:
        if not self.ended:
            ray = self.executor.ray
            try:  # the child first: its process group, on the node
                ray.get(self.actor.stop.remote(), timeout=30)
            except Exception as exc:  # gone already, or unreachable: kill the actor anyway
                log.info("Stopping the Ray actor: %s", exc)
        self._release()

    def _append(self, chunk: bytes) -> None:
        if chunk:
            with open(self.log_path, "ab") as handle:
                handle.write(chunk)
            self.offset += len(chunk)

    def _unpack(self, data: bytes) -> None:
        shutil.rmtree(self.output_dir, ignore_errors=True)
        self.output_dir.mkdir(parents=True)
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            archive.extractall(self.output_dir, filter="data")  # no links, nothing outside

    def _lost(self, exc: BaseException) -> RunOutcome:
        self._release()
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        reason = f"the Ray actor running it died ({first[:200]})"
        return RunOutcome(False, reason, log_tail(self.log_path), lost=True)

    def _release(self) -> None:
        if self.ended:
            return
        self.ended = True
        ray = self.executor.ray
        try:
            ray.kill(self.actor)
        except Exception as exc:  # already dead
            log.debug("Killing the Ray actor: %s", exc)
        self.executor.release(self.group)


class RayExecutor:
    name = "ray"

    def __init__(self, settings: Settings):
        if not settings.ray_address:
            # A cluster started here is this machine's alone: on loopback, as Ray keeps one
            # on a laptop, instead of on the machine's routable address (read at import).
            os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
        try:
            import ray
        except ImportError as exc:
            raise RuntimeError(
                "LEADERBOARD_EXECUTOR=ray needs Ray: pip install -r requirements-ray.txt"
            ) from exc
        from ray.util.placement_group import placement_group, remove_placement_group
        from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

        self.ray = ray
        self._placement_group = placement_group
        self._remove_placement_group = remove_placement_group
        self._strategy = PlacementGroupSchedulingStrategy
        package = Path(leaderboard.__file__).parent
        runtime_env = {
            "py_modules": [str(package)],
            "env_vars": {"TOKENIZERS_PARALLELISM": "false", "PYTHONUNBUFFERED": "1"},
        }
        if not ray.is_initialized():
            with signals_kept():
                ray.init(
                    address=settings.ray_address or None,
                    runtime_env=runtime_env,
                    include_dashboard=False,
                    log_to_driver=False,
                    logging_level=logging.WARNING,
                )
        self._actor_class = ray.remote(max_restarts=0, max_task_retries=0)(EvaluationActor)
        self.gpu_memory_gb = settings.gpu_memory_gb or DEFAULT_GPU_MEMORY_GB
        self.groups: set = set()
        log.info("Ray cluster: %s", _resources_line(ray.cluster_resources()))

    def capacity(self) -> Capacity:
        free = self.ray.available_resources()
        largest = max(
            (
                int(node.get("Resources", {}).get("GPU", 0))
                for node in self.ray.nodes()
                if node.get("Alive")
            ),
            default=0,
        )
        return Capacity(
            gpus=largest,  # one evaluation's GPUs are on one node
            gpu_memory_gb=self.gpu_memory_gb,
            free_gpus=int(free.get("GPU", 0)),
            free_cpu_slots=int(free.get("CPU", 0)) if largest == 0 else 0,
        )

    def start(self, spec: EvalSpec, layout: Layout, *, log_path: Path) -> RayExecution:
        bundle = {"GPU": float(layout.gpus)} if layout.gpus else {"CPU": 1.0}
        group = self._placement_group([bundle], strategy="STRICT_PACK")
        try:
            self.ray.get(group.ready(), timeout=PLACEMENT_SECONDS)
        except Exception as exc:
            self._remove_placement_group(group)
            raise Unavailable(f"no node had {_resources_line(bundle)} free: {exc}") from exc
        self.groups.add(group)
        actor = self._actor_class.options(
            num_gpus=layout.gpus,
            num_cpus=0 if layout.gpus else 1,
            scheduling_strategy=self._strategy(
                placement_group=group, placement_group_bundle_index=0
            ),
        ).remote(orjson.loads(orjson.dumps(spec.to_json())))
        log_path.parent.mkdir(parents=True, exist_ok=True)
        return RayExecution(self, actor, group, log_path=log_path, output_dir=Path(spec.output_dir))

    def release(self, group) -> None:
        if group in self.groups:
            self.groups.discard(group)
            try:
                self._remove_placement_group(group)
            except Exception as exc:  # the cluster is going away
                log.debug("Removing a placement group: %s", exc)

    def close(self) -> None:
        for group in list(self.groups):
            self.release(group)
        if self.ray.is_initialized():
            self.ray.shutdown()


@contextlib.contextmanager
def signals_kept() -> Iterator[None]:
    """`ray.init` installs SIGINT/SIGTERM handlers of its own, which end the process at once;
    the process's own (the worker's: hand everything back, then exit) are put back."""
    kept = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        if threading.current_thread() is threading.main_thread():
            for sig, handler in kept.items():
                if handler is not None:
                    signal.signal(sig, handler)


def _resources_line(resources: dict) -> str:
    return ", ".join(
        f"{value:g} {key}" for key, value in sorted(resources.items()) if key in {"CPU", "GPU"}
    )
