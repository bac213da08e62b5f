"""Record, on the status page, how every chapter fares on Colab's versions.

    python scripts/colab_report.py            # run the Colab-stack test, then record
    python scripts/colab_report.py --from DIR # record a run made with BOOK_COLAB_REPORT=DIR

The test (tests/test_notebooks_colab_stack.py) runs each chapter alone on
Colab's versions and writes, per chapter, whether it ran to the end and which
printed lines differ from the stored outputs. This script gathers those files
into book/colab_stack.json, with the date and the versions, and re-renders the
status page, so the differences a Colab reader will see are measured, not typed.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import status  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = ROOT / "book" / "colab_stack.json"
PINS = ROOT / "tests" / "colab-stack.txt"
SHOWN = ("jax", "numpy", "matplotlib", "ipywidgets", "ipykernel", "ipython", "optax")


def pinned_versions(path: pathlib.Path = PINS) -> dict[str, str]:
    """The ``name==version`` lines of a requirements file, as {name: version}."""
    return dict(re.findall(r"^([\w-]+)==(\S+)", path.read_text(), re.M))


_ENVIRONMENT_PATH = re.compile(r"/[^\s\"']*?/(?:site-packages|colab-stack)/")


def gather(folder: pathlib.Path) -> dict:
    # where the run's environment lived (a venv, the Colab-stack folder) is not a
    # difference a Colab reader will see: keep the package-relative part only
    chapters = {p.stem: json.loads(_ENVIRONMENT_PATH.sub("…/", p.read_text()))
                for p in sorted(folder.glob("*.json"))}
    if not chapters:
        raise SystemExit(f"no chapter reports in {folder}: was the test run with BOOK_COLAB_REPORT={folder}?")
    pins = pinned_versions()
    return {"date": datetime.date.today().isoformat(),
            "versions": {name: pins[name] for name in SHOWN if name in pins},
            "chapters": chapters}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="source", type=pathlib.Path,
                        help="a folder of chapter reports from an earlier run (default: run the test now)")
    args = parser.parse_args(argv)
    if args.source is None:
        args.source = pathlib.Path(tempfile.mkdtemp(prefix="colab-report-"))
        subprocess.run([sys.executable, "-m", "pytest", "-q", "-n", "2", "-p", "no:cacheprovider",
                        "tests/test_notebooks_colab_stack.py"], cwd=ROOT, check=False,
                       env={**os.environ, "BOOK_COLAB_REPORT": str(args.source)})
    elif not args.source.is_dir():
        parser.error(f"{args.source} is not a folder")
    DATA.write_text(json.dumps(gather(args.source), indent=1) + "\n")
    status.PAGE.write_text(status.render(status.load()))
    print(f"wrote {DATA.relative_to(ROOT)} and {status.PAGE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
