"""The rules a committed chapter notebook follows, shared by the regenerate script and the tests.

A clean notebook is a fixed point of :func:`clean`: no volatile metadata, widget
model ids numbered deterministically, and the shared bootstrap as first cell.
"""

from __future__ import annotations

import json
import pathlib
import re
import uuid
from typing import Any

import tomllib
import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent

# Kept as found; "colab" and "accelerator" are written from GPU_CHAPTERS, and each
# figure cell's "mystnb" alt text from its code, so those are never carried over.
NOTEBOOK_METADATA_KEYS = {"kernelspec", "language_info", "widgets"}
CELL_METADATA_KEYS = {"tags"}
KNOWN_TAGS = {
    "raises-exception",  # an error demo: nbval expects the stored error
    "nbval-ignore-output",  # output truly varies; the cell says why
    "hide-input", "hide-output", "remove-input", "remove-cell",  # Jupyter Book display
    "hide-cell",  # an exercise's solution: code and output folded (CONTRIBUTING.md)
    "remove-stderr",  # native libraries' timestamped log lines (e.g. torch.profiler's)
}
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
IGNORE_OUTPUT_PREFIX = "# Output varies"  # first line of every nbval-ignore-output cell

# Chapters whose work grows with the hardware (vmap over 1,024 networks): Colab
# opens them on a GPU runtime. The rest are CPU-sized on purpose; many_devices
# too, because a Colab GPU runtime has one GPU and the chapter needs several
# devices, which it gets by splitting the CPU (helpers.data_parallel.mesh_devices).
GPU_CHAPTERS = frozenset({"whole_loop"})
COLAB_GPU_METADATA = {"accelerator": "GPU", "colab": {"gpuType": "T4", "provenance": []}}


def _repository() -> str:
    """The book's repository URL, written once, in _config.yml."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    return config["repository"]["url"].rstrip("/")


def _release() -> str:
    """The helpers release the chapters install: the tag of pyproject.toml's version."""
    return "v" + tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


REPOSITORY = _repository()
RELEASE_REF = _release()  # the tag whose helpers the chapters install on Colab
_HOST, _, _PATH = REPOSITORY.rpartition("/")  # split so the URL fits the column

BOOTSTRAP_SOURCE = f'''\
# Make the book's `helpers` package importable: nothing to do in a local
# checkout; on Colab (or anywhere it is missing) install it from the book's
# repository at a fixed release, with --no-deps so that the runtime's own jax,
# torch and ipywidgets are left alone. BOOK_HELPERS_SOURCE overrides the source
# with any pip requirement (a local path, a wheel, a git URL).
import importlib
import importlib.util
import os
import subprocess
import sys

if importlib.util.find_spec("helpers") is None:
    source = os.environ.get(
        "BOOK_HELPERS_SOURCE",
        "git+{_HOST}/"
        "{_PATH}@{RELEASE_REF}",
    )
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps"]
    done = subprocess.run([*pip, source], capture_output=True, text=True)
    if done.returncode != 0:
        why = (done.stderr.strip().splitlines() or ["pip said nothing"])[-1]
        sys.exit(
            f"Could not install the book's helpers from {{source}}:\\n  {{why}}\\n"
            "Check the network and that this release exists, or set "
            "BOOK_HELPERS_SOURCE to another pip requirement (a path to an "
            "uploaded helpers wheel, or a git URL) and run this cell again."
        )
    importlib.invalidate_caches()

# On Colab, widgets from ipywidgets 8 render only through Colab's custom
# widget manager (its own ipywidgets 7 needs nothing); turning it on is
# harmless either way.
if "google.colab" in sys.modules:
    from google.colab import output

    output.enable_custom_widget_manager()'''


def clean(nb: dict[str, Any], name: str) -> dict[str, Any]:
    """Return ``nb`` (a notebook as a dict) with only stable content; ``name`` seeds widget ids."""
    nb = json.loads(json.dumps(nb))
    nb["metadata"] = {k: v for k, v in nb["metadata"].items() if k in NOTEBOOK_METADATA_KEYS}
    if name in GPU_CHAPTERS:  # what Colab's "Change runtime type" stores
        nb["metadata"].update(json.loads(json.dumps(COLAB_GPU_METADATA)))
    heading = name
    bootstrap = _first_code_cell(nb)
    for index, cell in enumerate(nb["cells"]):
        cell["metadata"] = {k: v for k, v in cell.get("metadata", {}).items()
                            if k in CELL_METADATA_KEYS and v}
        if cell["cell_type"] == "markdown":
            heading = _last_heading(source(cell)) or heading
        elif any("image/png" in o.get("data", {}) for o in cell.get("outputs", [])):
            cell["metadata"]["mystnb"] = {"image": {"alt": figure_alt_text(source(cell), heading)}}
        cell["id"] = f"c{index:03d}"
        if cell is bootstrap:
            # The bootstrap is folded the same way in every chapter.
            cell["metadata"]["tags"] = sorted({*cell["metadata"].get("tags", []), "hide-input"})
        if cell["cell_type"] == "code":
            cell["outputs"] = _coalesce_streams(cell.get("outputs", []))
            for output in cell["outputs"]:
                if output.get("output_type") == "execute_result":
                    output.setdefault("metadata", {})
    text = _SITE_PACKAGES.sub("/…/site-packages/", _KERNEL_FILE.sub("<cell>", json.dumps(nb)))
    return renumber_widgets(json.loads(_renumber_object_ids(text)), name)


def _first_code_cell(nb: dict[str, Any]) -> dict[str, Any] | None:
    """The bootstrap's place: the notebook's first code cell (None if it has none)."""
    return next((c for c in nb["cells"] if c["cell_type"] == "code"), None)


# Reprs such as "<list 139734714449472>" show an object's address, new on every
# run; they are numbered in order of appearance, so equal ids stay equal.
_OBJECT_ID = re.compile(r"(?<=\w )\d{9,}(?=>)")
_PINNED_ID_BASE = 140_000_000_000_000


def _renumber_object_ids(text: str) -> str:
    mapping: dict[str, str] = {}
    pinned = {str(_PINNED_ID_BASE + i) for i in range(1000)}

    def pin(match: re.Match) -> str:
        found = match.group(0)
        if found in pinned:
            return found
        return mapping.setdefault(found, str(_PINNED_ID_BASE + len(mapping) + 1))

    return _OBJECT_ID.sub(pin, text)


_HEADING = re.compile(r"^#{1,6}\s+(.+)$", re.MULTILINE)
_TITLE = re.compile(r"""(?:set_title|suptitle|title)\(\s*f?(["'])(.+?)\1""")
_XLABEL, _YLABEL = (re.compile(rf"""set_{axis}label\(\s*f?(["'])(.+?)\1""") for axis in "xy")
_FIELD = re.compile(r"\{[^{}]*\}")


def _last_heading(markdown: str) -> str | None:
    found = _HEADING.findall(markdown)
    return found[-1].replace("`", "").strip() if found else None


def figure_alt_text(code: str, heading: str) -> str:
    """Alt text for a figure made by ``code``: its title and axis labels where the code
    names them (f-string fields shown as "…"), else the section it illustrates."""
    title, x, y = (_FIELD.sub("…", m.group(2)).strip(" ;,") if (m := r.search(code)) else None
                   for r in (_TITLE, _XLABEL, _YLABEL))
    if title is None:
        return f"Figure for the section '{heading}' (made by the code above)"
    axes = "; ".join(f"{axis} axis: {label}" for axis, label in (("x", x), ("y", y)) if label)
    return f"Chart: {title}" + (f" ({axes})" if axes else "")


# ipykernel names the file of each cell /tmp/ipykernel_<pid>/<hash of the code>.py
# in tracebacks: noise to a reader, and the pid changes on every run.
_KERNEL_FILE = re.compile(r"/tmp/ipykernel_\d+/\d+\.py")

# Installed packages' files in tracebacks and warnings: where the environment
# lives on the machine that stored the run is noise to a reader.
_SITE_PACKAGES = re.compile(r"/[^\s\"']*?/site-packages/")


def _coalesce_streams(outputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Merge consecutive stream outputs of the same name, as nbval does before comparing.

    How a cell's printing is split into messages depends on timing; the merged
    text does not.
    """
    merged: list[dict[str, Any]] = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (output.get("output_type") == "stream" and previous is not None
                and previous.get("output_type") == "stream"
                and previous.get("name") == output.get("name")):
            previous["text"] = _text(previous["text"]) + _text(output["text"])
        else:
            merged.append(output)
    return merged


def _text(value: str | list[str]) -> str:
    return "".join(value) if isinstance(value, list) else value


def renumber_widgets(nb: dict[str, Any], name: str) -> dict[str, Any]:
    """Replace random widget model ids with ids derived from ``name`` and the widget graph.

    Models are numbered in the order they are reached from the views in the
    cell outputs, following ``IPY_MODEL_`` references (keys sorted); models
    that no view reaches come last, ordered by their content. The order never
    depends on the ids themselves, so cleaning twice changes nothing.
    """
    state = nb["metadata"].get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    order: list[str] = []

    def visit(model_id: str) -> None:
        if model_id in order:
            return
        order.append(model_id)
        if model_id in state:
            for ref in _REFERENCE.findall(json.dumps(state[model_id], sort_keys=True)):
                visit(ref)

    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW)
            if view and "model_id" in view:
                visit(view["model_id"])
    unreached = [m for m in state if m not in order]
    for model_id in sorted(unreached, key=lambda m: _REFERENCE.sub(
            "IPY_MODEL_", json.dumps(state[m], sort_keys=True))):
        visit(model_id)
    if not order:
        return nb
    mapping = {old: uuid.uuid5(uuid.NAMESPACE_URL, f"{name}#{i}").hex for i, old in enumerate(order)}
    if all(old == new for old, new in mapping.items()):
        return nb
    text = json.dumps(nb)
    pattern = re.compile("|".join(re.escape(old) for old in mapping))
    return json.loads(pattern.sub(lambda m: mapping[m.group(0)], text))


_REFERENCE = re.compile(r"IPY_MODEL_([0-9a-f]{32})")


def problems(nb: dict[str, Any], name: str) -> list[str]:
    """Everything that keeps a stored notebook from being one nbval can verify."""
    found = []
    if clean(nb, name) != nb:
        found.append("not clean: run `make regenerate` (volatile metadata or unnumbered widget ids)")
    code = [c for c in nb["cells"] if c["cell_type"] == "code" and source(c).strip()]
    if not code or source(code[0]) != BOOTSTRAP_SOURCE:
        found.append("the first code cell is not the shared bootstrap (scripts/nbclean.py)")
    counts = [c.get("execution_count") for c in code]
    if counts != list(range(1, len(code) + 1)):
        found.append(f"execution counts are not 1..{len(code)} in order: {counts}")
    for i, cell in enumerate(code, start=1):
        tags = set(cell["metadata"].get("tags", []))
        unknown = tags - KNOWN_TAGS
        if unknown:
            found.append(f"code cell {i}: unknown tags {sorted(unknown)}")
        has_error = any(o.get("output_type") == "error" for o in cell.get("outputs", []))
        if has_error != ("raises-exception" in tags):
            found.append(f"code cell {i}: an error output needs the raises-exception tag and "
                         "a raises-exception cell needs a stored error")
        if "nbval-ignore-output" in tags and not source(cell).startswith(IGNORE_OUTPUT_PREFIX):
            found.append(f"code cell {i}: nbval-ignore-output cells must start with "
                         f"'{IGNORE_OUTPUT_PREFIX}: <why>'")
    return found


def source(cell: dict[str, Any]) -> str:
    """A cell's source as one string (stored notebooks may split it into lines)."""
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else text
