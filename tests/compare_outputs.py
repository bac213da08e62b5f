"""What a reader on another stack sees printed differently from the stored outputs.

Used by tests/test_notebooks_colab_stack.py: the chapter as executed on Colab's
versions is compared, cell by cell, with the committed notebook, after masking
what varies on every run (tests/nbval_sanitize.cfg). The result feeds the status
page (scripts/colab_report.py), so the list of differences is measured, never typed.
"""

from __future__ import annotations

import configparser
import difflib
import re
from typing import Any

from conftest import ROOT

MAX_PER_CHAPTER = 12
MAX_CHARS = 100


def sanitizers() -> list[tuple[re.Pattern[str], str]]:
    """The (pattern, replacement) pairs of nbval's sanitize file, in file order."""
    config = configparser.ConfigParser(interpolation=None)
    config.read(ROOT / "tests" / "nbval_sanitize.cfg")
    return [(re.compile(config[s]["regex"]), config[s]["replace"]) for s in config.sections()]


def printed(cell: dict[str, Any], masks: list[tuple[re.Pattern[str], str]]) -> list[str]:
    """The text a reader sees under a code cell (streams, plain-text results, errors), masked."""
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream" and output.get("name") == "stdout":
            parts.append("".join(output.get("text", "")))
        elif "data" in output and "application/vnd.jupyter.widget-view+json" not in output["data"]:
            if "image/png" not in output["data"]:
                parts.append("".join(output["data"].get("text/plain", "")))
        elif output.get("output_type") == "error":
            parts.append(f"{output['ename']}: {output['evalue']}")
    text = re.sub(r"\x1b\[[0-9;]*m", "", "\n".join(parts))
    for pattern, replacement in masks:
        text = pattern.sub(replacement, text)
    return [line.rstrip() for line in text.splitlines() if line.strip()]


def differences(stored: dict[str, Any], executed: dict[str, Any]) -> list[dict[str, Any]]:
    """Lines printed differently, as {"cell", "stored", "here"}, at most MAX_PER_CHAPTER."""
    masks = sanitizers()
    code = [[c for c in nb["cells"] if c["cell_type"] == "code"] for nb in (stored, executed)]
    found = []
    for number, (before, after) in enumerate(zip(*code), start=1):
        if "nbval-ignore-output" in before.get("metadata", {}).get("tags", []):
            continue  # its output varies on every run: a difference says nothing about Colab
        old, new = printed(before, masks), printed(after, masks)
        matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                continue
            found.append({"cell": number,
                          "stored": "\n".join(old[i1:i2])[:MAX_CHARS],
                          "here": "\n".join(new[j1:j2])[:MAX_CHARS]})
    return found[:MAX_PER_CHAPTER]
