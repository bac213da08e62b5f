"""Execute every chapter in place on the pinned CPU environment and store clean outputs.

    python scripts/regenerate.py                 # all chapters
    python scripts/regenerate.py book/03_xor.ipynb

Each notebook is run top to bottom in a fresh kernel (cwd = its folder), with
widget state kept, then cleaned by scripts/nbclean.py so that running this twice
gives the same files apart from cells that print timings, and records each
chapter's time and the package versions on the status page (scripts/status.py).
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import time

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import nbclean  # noqa: E402
import status  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent


def regenerate(path: pathlib.Path) -> None:
    nb = nbformat.read(path, as_version=4)
    first = next(c for c in nb.cells if c.cell_type == "code")
    first.source = nbclean.BOOTSTRAP_SOURCE  # the one shared bootstrap, kept in sync
    client = NotebookClient(nb, timeout=1800, kernel_name="python3", store_widget_state=True,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    cleaned = nbclean.clean(nb, path.stem)
    nbformat.write(nbformat.from_dict(cleaned), path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=pathlib.Path,
                        help="notebooks to regenerate (default: every chapter under book/)")
    parser.add_argument("--no-status", action="store_true",
                        help="leave the status page alone (drafts; a full run records every chapter)")
    args = parser.parse_args(argv)
    if os.environ.get("BOOK_DEVICE", "cpu").strip().lower() != "cpu":
        parser.error("stored outputs come from the CPU environment: unset BOOK_DEVICE or set it to cpu")
    paths = args.notebooks or sorted((ROOT / "book").rglob("*.ipynb"))
    for path in paths:
        if path.suffix != ".ipynb" or not path.exists():
            parser.error(f"{path} is not an existing .ipynb file")
        start = time.perf_counter()
        print(f"executing {path.relative_to(ROOT) if path.is_absolute() else path} ...", flush=True)
        regenerate(path.resolve())
        seconds = time.perf_counter() - start
        if not args.no_status:
            status.record(path.resolve(), seconds)
        print(f"  done in {seconds:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
