"""Sphinx extension: the book's stylesheet, and two fixes for errors every page logged in the browser.

- ``static/book.css`` makes outputs wrap at the column, tables fit it, and
  figures stay undimmed in dark mode (tests/test_browser.py measures the result).

- sphinx-thebe registers its inline configuration script (``const THEBE_JS_URL = ...``)
  through ``app.add_js_file(None, ...)``; Sphinx 7.4 keeps it once as ``None`` and
  once as ``""``, so each page declared the constant twice (a SyntaxError). Each
  script is now emitted once.
- pydata-sphinx-theme logs "Got invalid theme mode" when its template variable
  ``default_mode`` is unset, as Jupyter Book leaves it; it is set to ``auto``
  (follow the reader's light or dark setting) in ``html_context``.

tests/test_browser.py fails on any console error, so it guards both.
"""

from __future__ import annotations


def _set_default_mode(app, config) -> None:
    context = dict(config.html_context or {})
    context.setdefault("default_mode", "auto")
    config.html_context = context


def _key(script) -> tuple:
    filename = getattr(script, "filename", script) or ""
    attributes = tuple(sorted(getattr(script, "attributes", {}).items()))
    return filename, attributes


def _dedupe_scripts(app, pagename, templatename, context, doctree) -> None:
    seen, unique = set(), []
    for script in context.get("script_files", []):
        if _key(script) not in seen:
            seen.add(_key(script))
            unique.append(script)
    context["script_files"] = unique


def _add_stylesheet(app) -> None:
    import pathlib

    app.config.html_static_path.append(str(pathlib.Path(__file__).parent / "static"))
    app.add_css_file("book.css")


def setup(app):
    app.connect("builder-inited", _add_stylesheet)
    app.connect("config-inited", _set_default_mode)
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
