"""No chapter uses a transformation in its code before the chapter that teaches it.

The reading order is the order of ``_toc.yml``. ``vmap`` is taught in
``book/vmap``; a chapter that comes earlier may name it in prose (as a
promise), but its code cells must not call it, or the reader meets it
unexplained. Comment lines are ignored.
"""

from __future__ import annotations

import json
import re

import pytest
import yaml
from conftest import BOOK, ROOT

# What counts as using vmap: jax.vmap, torch.func.vmap, torch.vmap, a bare
# vmap( call, or importing the name.
VMAP = re.compile(r"\bjax\.vmap\b|\btorch\.(func\.)?vmap\b|\bvmap\s*\(|\bimport\b.*\bvmap\b")

# transformation -> the chapter (a _toc.yml file entry) that teaches it
TAUGHT_IN = {"vmap": ("book/vmap", VMAP)}


def toc_order() -> list[str]:
    """The chapter files of ``_toc.yml`` in reading order (root first)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    order = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                order.append(entry["file"])
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    walk(toc.get("parts"))
    walk(toc.get("chapters"))
    return order


def code_uses(path, pattern: re.Pattern) -> list[str]:
    """The code lines of a notebook (comments dropped) that match ``pattern``."""
    found = []
    for cell in json.loads(path.read_text())["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for line in source.splitlines():
            code = line.split("#", 1)[0] if not line.lstrip().startswith("#") else ""
            if pattern.search(code):
                found.append(line.strip())
    return found


def test_the_pattern_finds_every_spelling_of_vmap():
    hits = ["jax.vmap(f)(x)", "torch.func.vmap(g)", "torch.vmap(g)", "vmap (f)",
            "from jax import vmap", "batched = jax.vmap"]
    misses = ["# jax.vmap(f) in a comment", "vmapped = 3", "print('no map here')"]
    assert all(VMAP.search(h.split("#", 1)[0]) for h in hits)
    assert not any(VMAP.search(m.split("#", 1)[0] if not m.startswith("#") else "")
                   for m in misses)


def test_the_table_of_contents_lists_the_teaching_chapters():
    order = toc_order()
    for name, (chapter, _) in TAUGHT_IN.items():
        assert chapter in order, f"{chapter} (which teaches {name}) is not in _toc.yml"


@pytest.mark.parametrize("name", sorted(TAUGHT_IN))
def test_no_chapter_uses_a_transformation_before_it_is_taught(name):
    chapter, pattern = TAUGHT_IN[name]
    order = toc_order()
    earlier = order[:order.index(chapter)]
    problems = {}
    for entry in earlier:
        path = ROOT / f"{entry}.ipynb"
        if path.exists():
            uses = code_uses(path, pattern)
            if uses:
                problems[path.relative_to(BOOK).as_posix()] = uses
    assert not problems, (
        f"these chapters use {name} in code before {chapter} teaches it "
        f"(move the use later, or point to {chapter}): {problems}")
