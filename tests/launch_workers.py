"""Tiny workers for tests/test_launch.py: each runs in well under a second."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path


def hello(*args: str) -> None:
    """Print what the launcher told this worker."""
    env = {k: os.environ[k] for k in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT")}
    print(f"hello {env} args={list(args)} jax_platforms={os.environ.get('JAX_PLATFORMS')}")


def noisy() -> None:
    """A result on standard output, a log line on standard error."""
    print(f"rank {os.environ['RANK']} result", flush=True)
    print("a library's log line", file=sys.stderr, flush=True)
    os.write(1, b"a native library writing to descriptor 1\n")


def fail_on(bad_rank: str, pid_dir: str) -> None:
    """Rank ``bad_rank`` prints two lines and fails; the others record their pid and wait."""
    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    if rank == int(bad_rank):
        deadline = time.monotonic() + 20  # let the others record their pids first
        while len(list(Path(pid_dir).glob("*.pid"))) < world - 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        print("about to fail")
        raise SystemExit("worker gave up on purpose")
    Path(pid_dir, f"{rank}.pid").write_text(str(os.getpid()))
    time.sleep(60)


def hang(pid_dir: str) -> None:
    """Start a grandchild that sleeps, record both pids, then sleep past any test's timeout."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    rank = os.environ["RANK"]
    Path(pid_dir, f"{rank}.pid").write_text(str(os.getpid()))
    Path(pid_dir, f"{rank}-child.pid").write_text(str(child.pid))
    print(f"rank {rank} waiting", flush=True)
    time.sleep(60)


if __name__ == "__main__":  # the ``python -m launch_workers`` form
    print(f"module form, rank {os.environ['RANK']}, args {sys.argv[1:]}")
