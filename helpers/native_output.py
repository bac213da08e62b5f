"""Keep what native libraries print straight to the process's output out of a notebook.

``torch.profiler``'s C++ side writes its start and stop lines, with
timestamps, to file descriptors 1 and 2 directly, past ``sys.stdout``; a
notebook would store them, and they change on every run.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def silenced() -> Iterator[None]:
    """Send file descriptors 1 and 2 to /dev/null inside the ``with`` block, then restore them."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved:
            os.close(fd)
