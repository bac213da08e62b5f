"""What can be checked mechanically of CONTRIBUTING.md's rules, chapter by chapter.

- A repr, error or warning named in backticks in a chapter's prose appears in
  that chapter's code or stored outputs, so the prose cannot drift from the run.
- Exercises ask before they answer: question, starter cell ending in
  ``check(...)``, then the solution folded (``hide-cell``); a question
  answered in words is followed by its answer in a folded dropdown.
- No stored output prints a comparison of measured times.
"""

from __future__ import annotations

import json
import re

import pytest
from conftest import notebooks

NOTEBOOKS = notebooks()

# A backticked span that names a repr (`JitTracer(float32[2])`, `Traced<float32[]>`,
# `~float32[]`, `f32[3]`) or an exception / warning class (`ConcretizationTypeError`).
QUOTED = re.compile(r"`([^`\n]+)`")
REPR = re.compile(r"^(~?[a-z]+\d+\[[\d, ]*\]|[A-Z]\w*(\(.*\)|<.*>))$")
ERROR = re.compile(r"^(\w+\.)*[A-Z]\w*(Error|Exception|Warning)\b")
# A printed comparison of measured times: "faster ...: True", "within a factor of two ...: False".
TIMED_FACT = re.compile(r"(faster|slower|quicker|within a factor)[^\n]*:\s*(True|False)\b", re.I)


def cells(path):
    return json.loads(path.read_text())["cells"]


def text(cell) -> str:
    source = cell["source"]
    return "".join(source) if isinstance(source, list) else source


def outputs_text(cell) -> str:
    parts = []
    for output in cell.get("outputs", []):
        parts.append("".join(output.get("text", "")))
        parts.append("".join(output.get("data", {}).get("text/plain", "")))
        parts.append("".join(output.get("data", {}).get("text/html", "")))
        parts.append(output.get("ename", "") + ": " + output.get("evalue", ""))
        parts.extend(output.get("traceback", []))
    return "\n".join(parts)


def quoted_claims(markdown: str) -> list[str]:
    """The backticked reprs and error names in a markdown cell (code fences excluded)."""
    prose = re.sub(r"```.*?```", "", markdown, flags=re.S)
    return [q for q in QUOTED.findall(prose) if REPR.match(q) or ERROR.match(q)]


def test_quoted_claims_finds_reprs_and_errors():
    found = quoted_claims("a `JitTracer(float32[2])`, `~float32[]`, `jax.errors.KeyReuseError` "
                          "and `x + 1`, ```\n`Fenced(1)`\n```")
    assert found == ["JitTracer(float32[2])", "~float32[]", "jax.errors.KeyReuseError"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_quoted_reprs_and_errors_appear_in_the_run(path):
    every = cells(path)
    run = "\n".join(text(c) + "\n" + outputs_text(c) for c in every if c["cell_type"] == "code")
    run = re.sub(r"\x1b\[[0-9;]*m", "", run)  # tracebacks are coloured
    missing = sorted({q for c in every if c["cell_type"] == "markdown"
                      for q in quoted_claims(text(c)) if q.split(":")[0] not in run})
    assert not missing, f"{path.name}: quoted in the prose but in no code or output: {missing}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_exercises_ask_before_they_answer(path):
    every = cells(path)
    start = next((i for i, c in enumerate(every)
                  if c["cell_type"] == "markdown" and "## Exercises" in text(c)), None)
    if start is None:
        return
    problems = []
    questions = [i for i in range(start, len(every)) if every[i]["cell_type"] == "markdown"
                 and re.search(r"^\*\*\d+\.", text(every[i]), re.M)]
    assert questions, f"{path.name}: an Exercises section with no `**N. Title.**` question"
    for i in questions:
        after = every[i + 1] if i + 1 < len(every) else {"cell_type": "", "source": ""}
        if after["cell_type"] == "markdown" and ":class: dropdown" in text(after):
            continue  # a question answered in words, folded: nothing to run
        follow = [c for c in every[i + 1:] if c["cell_type"] == "code"][:2]
        nearby = every[i + 1:i + 4]
        if len(follow) < 2 or follow[0] not in nearby:
            problems.append(f"question at cell {i}: needs a starter and a solution cell after it")
            continue
        starter, solution = follow
        if starter["metadata"].get("tags") or "check(" not in text(starter):
            problems.append(f"question at cell {i}: the starter is untagged and calls check(...)")
        if "..." not in text(starter) and "NotImplementedError" not in text(starter):
            problems.append(f"question at cell {i}: the starter leaves `...` for the answer")
        if "Not answered yet" not in outputs_text(starter):
            problems.append(f"question at cell {i}: the stored starter says 'Not answered yet'")
        if "hide-cell" not in solution["metadata"].get("tags", []):
            problems.append(f"question at cell {i}: the solution cell is tagged hide-cell")
        if "Correct." not in outputs_text(solution):
            problems.append(f"question at cell {i}: the stored solution passes its check")
    assert not problems, f"{path.name}: " + "; ".join(problems)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_output_prints_a_comparison_of_timings(path):
    found = [m.group(0) for c in cells(path) if c["cell_type"] == "code"
             for m in TIMED_FACT.finditer(outputs_text(c))]
    assert not found, f"{path.name}: a stored output depends on a timing: {found}"
