"""The book's status page: what produced the stored outputs, and how long each chapter took.

scripts/regenerate.py calls :func:`record` after each chapter; the data lives in
book/status.json (read by tests/test_status.py) and is rendered to book/status.md.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "book" / "status.json"
COLAB = ROOT / "book" / "colab_stack.json"  # written by scripts/colab_report.py
PAGE = ROOT / "book" / "status.md"
# The packages whose versions decide what the chapters print.
PACKAGES = ("jax", "jaxlib", "torch", "numpy", "optax", "flax", "orbax-checkpoint", "scikit-learn",
            "matplotlib", "ipywidgets", "ipykernel", "nbclient")


def environment() -> dict[str, str]:
    """Python and the versions of :data:`PACKAGES` in this environment."""
    versions = {"python": platform.python_version()}
    versions.update({name: importlib.metadata.version(name) for name in PACKAGES})
    return versions


def load() -> dict:
    return json.loads(DATA.read_text()) if DATA.exists() else {"environment": {}, "chapters": {}}


def record(notebook: Path, seconds: float) -> None:
    """Store one chapter's execution time and this environment's versions, then rewrite the page."""
    status = load()
    status["environment"] = environment()
    status["machine"] = f"{platform.machine()}, {os.cpu_count()} CPU cores, BOOK_DEVICE=cpu"
    status["chapters"][notebook.stem] = round(seconds, 1)
    status["chapters"] = dict(sorted(status["chapters"].items()))
    DATA.write_text(json.dumps(status, indent=2) + "\n")
    PAGE.write_text(render(status))


def render(status: dict) -> str:
    lines = [
        "# Status of the stored outputs",
        "",
        "Every chapter is stored with its outputs, produced by `scripts/regenerate.py`",
        "on the pinned CPU environment and verified by nbval in CI. This page is",
        "written by that script: the versions below produced what you read, and the",
        "times say how long each chapter takes to run top to bottom on that machine.",
        "On your machine, or on Colab, versions and times will differ; the",
        "{doc}`running` chapter says what to expect.",
        "",
        f"Machine: {status.get('machine', 'unknown')}.",
        "",
        "| package | version |",
        "| --- | --- |",
        *(f"| {name} | {version} |" for name, version in status["environment"].items()),
        "",
        "| chapter | seconds to execute |",
        "| --- | ---: |",
        *(f"| {{doc}}`{name}` | {status['chapters'][name]:.0f} |" for name in _in_reading_order(status)),
        "",
        *_colab_section(status),
    ]
    return "\n".join(lines)


def _colab_section(status: dict) -> list[str]:
    """Per chapter: did it run on Colab's versions, and what did it print differently."""
    colab = json.loads(COLAB.read_text()) if COLAB.exists() else {"chapters": {}}
    versions = ", ".join(f"{name} {version}" for name, version in colab.get("versions", {}).items())
    lines = [
        "(colab-differences)=",
        "## On Colab's versions",
        "",
        "Each chapter is also run alone in an empty folder on Colab's published",
        f"versions ({versions or 'see tests/colab-stack.txt'}), with Python 3.11 and",
        "torch 2.13 (the test cannot reproduce Colab's Python 3.13 and CUDA torch).",
        f"Last recorded by `scripts/colab_report.py` on {colab.get('date', 'never')}.",
        "Lines below are what such a reader sees printed differently from this book,",
        "after masking timings and addresses.",
        "",
        "| chapter | ran to the end | lines printed differently |",
        "| --- | --- | ---: |",
    ]
    details = []
    for name in _in_reading_order(status):
        report = colab["chapters"].get(name)
        if report is None:
            lines.append(f"| {{doc}}`{name}` | not run yet | |")
            continue
        found = report["differences"]
        lines.append(f"| {{doc}}`{name}` | {'yes' if report['passed'] else '**no**'} | {len(found)} |")
        for item in found:
            details.append(f"- {{doc}}`{name}`, code cell {item['cell']}: "
                           f"`{_inline(item['stored'])}` here, `{_inline(item['here'])}` on Colab's versions")
    if details:
        lines += ["", *details]
    lines += ["", "Not recorded here: any GPU or TPU run. CI has no accelerator; the",
              "{doc}`running` chapter says what was tried on a GPU and what is untested.", ""]
    return lines


def _inline(text: str) -> str:
    """One line fit for inline code in Markdown."""
    return text.replace("\n", " ⏎ ").replace("`", "'") or "(nothing)"


def _in_reading_order(status: dict) -> list[str]:
    """The recorded chapters in the order of _toc.yml (any not in it last, by name)."""
    toc = re.findall(r"file:\s*book/(\S+)", (ROOT / "_toc.yml").read_text())
    return sorted(status["chapters"], key=lambda name: (toc.index(name) if name in toc else len(toc), name))
