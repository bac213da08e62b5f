"""Start N local worker processes on 127.0.0.1, as ``torchrun`` does on one machine.

Both frameworks' multi-process examples use it: each worker is a fresh Python
process running a module (``python -m module``) or a function
(``module:function``), told its place through the variables ``torchrun`` sets
(``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR``, ``MASTER_PORT``).
PyTorch reads them with ``init_method="env://"``; a JAX worker passes
``f"{MASTER_ADDR}:{MASTER_PORT}"`` to ``jax.distributed.initialize``.

Each worker's standard output and standard error are collected line by line
apart (libraries such as gloo log to standard error, sometimes in pieces that
would break up printed lines), echoed with the rank as a prefix as they arrive
if asked; a progress line counts finished workers, and
every worker is stopped if one fails, the time runs out or the caller is
interrupted, so no process is left behind.

Run ``python -m helpers.launch module:function [args...]`` to call a function
the way a worker does (this is what :func:`launch` runs for that form); there,
what native libraries write straight to file descriptor 1 goes to standard
error, so that standard output holds only what Python prints.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from importlib.machinery import PathFinder
from pathlib import Path

from .validate import positive_int

HOST = "127.0.0.1"
TAIL = 15  # lines of a failing worker's output quoted in the error


class WorkerError(RuntimeError):
    """A worker failed or the run timed out; the message names the rank and its last output."""


@dataclass
class Worker:
    """One finished worker: its rank, exit code, and its standard output and error as lines."""

    rank: int
    returncode: int
    lines: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def output(self) -> str:
        return "\n".join(self.lines)


def free_port(host: str = HOST) -> int:
    """A TCP port on ``host`` that nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def port_is_free(port: int, host: str = HOST) -> bool:
    """Whether a server could bind ``port`` on ``host`` now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def worker_env() -> tuple[int, int, str]:
    """(rank, world size, "host:port" of the coordinator), read from the launcher's variables."""
    try:
        rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
        address = f"{os.environ['MASTER_ADDR']}:{os.environ['MASTER_PORT']}"
    except KeyError as missing:
        raise RuntimeError(
            f"{missing.args[0]} is not set: this function runs inside a worker started by "
            "helpers.launch.launch() (or torchrun), not on its own"
        ) from None
    return rank, world, address


def _command(target: str, args: list[str], path: str) -> list[str]:
    module, colon, function = target.partition(":")
    if not all(part.isidentifier() for part in module.split(".")) or (
        colon and not function.isidentifier()
    ):
        raise ValueError(f"target must be 'package.module' or 'package.module:function', got {target!r}")
    top = module.split(".")[0]
    if importlib.util.find_spec(top) is None and PathFinder.find_spec(top, path.split(os.pathsep)) is None:
        raise ValueError(f"no module named {module.split('.')[0]!r}: the workers could not import {target!r}")
    if colon:
        return [sys.executable, "-u", "-m", "helpers.launch", target, *args]
    return [sys.executable, "-u", "-m", module, *args]


def _stop(process: subprocess.Popen, grace: float = 3.0) -> None:
    """Terminate a worker and everything it started (its own process group), then kill it.

    The group is signalled even when the worker itself has already exited: what
    it started may still be running.
    """
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(process.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            process.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def launch(
    target: str,
    processes: int,
    args: list[str] | tuple[str, ...] = (),
    *,
    timeout: float = 300.0,
    port: int | None = None,
    env: dict[str, str] | None = None,
    echo: bool = False,
    progress: bool = True,
) -> list[Worker]:
    """Run ``target`` in ``processes`` local workers; return them sorted by rank once all succeed.

    ``target`` is ``"package.module"`` (run as ``python -m``) or
    ``"package.module:function"`` (called with ``args`` as strings). ``port``
    is the coordinator's port (a free one if None). ``env`` adds variables to
    every worker; ``JAX_PLATFORMS=cpu`` is set unless given, and the folder
    holding ``helpers`` is put on ``PYTHONPATH`` so that workers import it.
    ``echo`` prints each line as it arrives, prefixed ``[rank N]``, to this
    process's stdout or stderr (the order then varies between runs);
    ``progress`` shows a bar of finished workers.
    Raises :class:`WorkerError` naming the rank and its last lines if a worker
    exits with an error or ``timeout`` seconds pass; all workers are stopped.
    """
    positive_int("processes", processes)
    if not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    if port is None:
        port = free_port()
    elif isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise ValueError(f"port must be an integer from 1 to 65535, got {port!r}")
    elif not port_is_free(port):
        raise ValueError(f"port {port} on {HOST} is in use; "
                         "pass port=None to let the launcher pick a free one")
    root = str(Path(__file__).resolve().parent.parent)
    base = {**os.environ, "JAX_PLATFORMS": "cpu", **(env or {})}
    base["PYTHONPATH"] = os.pathsep.join(p for p in (root, base.get("PYTHONPATH", "")) if p)
    command = _command(target, [str(a) for a in args], base["PYTHONPATH"])
    base.update(MASTER_ADDR=HOST, MASTER_PORT=str(port), WORLD_SIZE=str(processes))

    lines: list[list[str]] = [[] for _ in range(processes)]
    errors: list[list[str]] = [[] for _ in range(processes)]
    both: list[list[str]] = [[] for _ in range(processes)]  # in arrival order, for error messages
    lock = threading.Lock()
    running: list[subprocess.Popen] = []
    readers: list[threading.Thread] = []

    def read(rank: int, stream, into: list[str], echo_to) -> None:
        for raw in stream:
            line = raw.rstrip("\n")
            with lock:
                into.append(line)
                both[rank].append(line)
                if echo:
                    print(f"[rank {rank}] {line}", file=echo_to, flush=True)

    bar = None
    if progress:
        from .progress import stable_bar

        bar = stable_bar(processes, f"{processes} workers", "finished")
    try:
        for rank in range(processes):
            process = subprocess.Popen(
                command,
                env={**base, "RANK": str(rank), "LOCAL_RANK": str(rank)},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
                text=True,
                start_new_session=True,  # its own process group, stopped as one
            )
            running.append(process)
            for stream, into, echo_to in ((process.stdout, lines[rank], sys.stdout),
                                          (process.stderr, errors[rank], sys.stderr)):
                reader = threading.Thread(target=read, args=(rank, stream, into, echo_to), daemon=True)
                reader.start()
                readers.append(reader)
        deadline = time.monotonic() + timeout
        while True:
            codes = [p.poll() for p in running]
            if bar is not None:
                bar.update(sum(c is not None for c in codes) - bar.n)
            failed = [r for r, c in enumerate(codes) if c not in (None, 0)]
            if failed:
                rank = failed[0]
                _stop_all(running, readers)
                raise WorkerError(f"rank {rank} of {processes} exited with code {codes[rank]}; "
                                  f"the others were stopped. {_tail(rank, both[rank])}")
            if all(c == 0 for c in codes):
                break
            if time.monotonic() > deadline:
                late = [r for r, c in enumerate(codes) if c is None]
                _stop_all(running, readers)
                raise WorkerError(
                    f"timed out after {timeout:g} s with rank(s) {late} still running; all were stopped. "
                    + " ".join(_tail(r, both[r]) for r in late))
            time.sleep(0.05)
        for reader in readers:
            reader.join(5)
    finally:
        _stop_all(running, readers)  # on an error, a timeout or KeyboardInterrupt; no-op after success
        if bar is not None:
            bar.close()
    return [Worker(rank, running[rank].returncode, lines[rank], errors[rank]) for rank in range(processes)]


def _stop_all(running: list[subprocess.Popen], readers: list[threading.Thread]) -> None:
    """Stop every worker still running, then let the readers collect their last lines."""
    for process in running:
        _stop(process)
    for reader in readers:
        reader.join(2)


def _tail(rank: int, output: list[str]) -> str:
    shown = "\n".join(f"  [rank {rank}] {line}" for line in output[-TAIL:]) or "  (no output)"
    return f"Last lines of rank {rank}:\n{shown}\n"


def _python_stdout_only() -> None:
    """Keep this process's standard output for what Python prints.

    Native libraries write to file descriptor 1 directly (gloo prints a line
    per connection, from several threads, sometimes in pieces); pointing that
    descriptor at standard error keeps their lines out of the worker's
    ``lines``, while ``print`` goes on writing to the original output.
    """
    sys.stdout.flush()
    python_out = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = os.fdopen(python_out, "w", buffering=1)


def _run_function(target: str, args: list[str]) -> None:
    _python_stdout_only()
    module_name, _, name = target.partition(":")
    function = getattr(importlib.import_module(module_name), name, None)
    if not callable(function):
        raise SystemExit(f"{module_name} has no function {name!r}")
    function(*args)


if __name__ == "__main__":
    if len(sys.argv) < 2 or ":" not in sys.argv[1]:
        raise SystemExit("usage: python -m helpers.launch package.module:function [args...]")
    _run_function(sys.argv[1], sys.argv[2:])
