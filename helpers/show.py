"""Show code that lives in ``helpers`` inside a chapter: highlighted source, coloured diffs, tables.

The chapters never copy code: they display it from the module the tests run,
so the text a reader sees is the code that was executed.
"""

from __future__ import annotations

import difflib
import html
import inspect
from types import ModuleType
from typing import Any


class Source:
    """Highlighted Python source for a module, class or function."""

    def __init__(self, obj: ModuleType | type | Any, title: str | None = None) -> None:
        try:
            self.text = inspect.getsource(obj)
        except (TypeError, OSError) as error:
            raise TypeError(
                f"cannot show the source of {obj!r}: pass a module, class or function "
                "defined in a .py file"
            ) from error
        self.title = title or getattr(obj, "__name__", "")

    def __repr__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        from pygments import highlight
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import PythonLexer

        body = highlight(self.text, PythonLexer(), HtmlFormatter(nowrap=True))
        caption = f"<p><b>{html.escape(self.title)}</b></p>" if self.title else ""
        return f"{caption}<div class='highlight'><pre>{body}</pre></div>"


class Diff:
    """A unified diff between two texts, coloured in HTML and plain in text."""

    def __init__(self, old: str, new: str, old_name: str = "before", new_name: str = "after",
                 context: int = 2) -> None:
        if not isinstance(old, str) or not isinstance(new, str):
            raise TypeError("Diff compares two strings; use Diff.of(a, b) for modules or functions")
        self.lines = list(difflib.unified_diff(
            old.splitlines(), new.splitlines(), old_name, new_name, n=context, lineterm=""))

    @classmethod
    def of(cls, old: Any, new: Any, context: int = 2) -> Diff:
        """Diff the source of two modules, classes or functions."""
        return cls(Source(old).text, Source(new).text,
                   getattr(old, "__name__", "before"), getattr(new, "__name__", "after"), context)

    @property
    def added(self) -> int:
        return sum(1 for line in self.lines if line.startswith("+") and not line.startswith("+++"))

    @property
    def removed(self) -> int:
        return sum(1 for line in self.lines if line.startswith("-") and not line.startswith("---"))

    def __repr__(self) -> str:
        return "\n".join(self.lines) if self.lines else "(no differences)"

    def _repr_html_(self) -> str:
        rows = []
        for line in self.lines:
            kind = ("meta" if line.startswith(("---", "+++")) else
                    "hunk" if line.startswith("@@") else
                    "add" if line.startswith("+") else
                    "del" if line.startswith("-") else "ctx")
            rows.append(f"<span style='{_DIFF_STYLE[kind]}'>{html.escape(line) or ' '}</span>")
        summary = f"<p><b>{self.added} lines added, {self.removed} removed</b></p>"
        # Each line is its own block, so no newline between them: inside <pre> a
        # newline after a block element renders as an empty line (double spacing).
        return summary + "<pre style='line-height:1.35'>" + "".join(rows) + "</pre>"


# Inline styles, so the colours show in Jupyter, Colab and the HTML book alike;
# translucent backgrounds stay readable on light and dark themes.
_DIFF_STYLE = {
    "meta": "display:block;font-weight:bold",
    "hunk": "display:block;color:#6f42c1",
    "add": "display:block;background:rgba(46,160,67,0.22)",
    "del": "display:block;background:rgba(248,81,73,0.22)",
    "ctx": "display:block",
}


class Table(str):
    """Text whose lines are " | "-separated cells, the first line the header.

    It is a ``str``, so printing it or comparing it works as before; displayed
    as a cell's result, Jupyter and the HTML book show a real table (sized to
    the column) and every other front end shows the same text.
    """

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        lines = [line.split(" | ") for line in self.splitlines() if line.strip()]
        if not lines:
            return "<p>(empty table)</p>"
        header, *body = lines
        width = len(header)

        def cells(row: list[str], tag: str) -> str:
            out = []
            for i, cell in enumerate(row):
                span = width - i if i == len(row) - 1 and len(row) < width else 1
                align = " style='text-align:right'" if tag == "td" and cell[:1].isdigit() else ""
                colspan = f" colspan='{span}'" if span > 1 else ""
                out.append(f"<{tag}{colspan}{align}>{html.escape(cell)}</{tag}>")
            return "<tr>" + "".join(out) + "</tr>"

        rows = "".join(cells(row, "td") for row in body)
        return f"<table><thead>{cells(header, 'th')}</thead><tbody>{rows}</tbody></table>"
