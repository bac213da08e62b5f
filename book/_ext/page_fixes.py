"""Sphinx extension: the book's stylesheet, and fixes for what the theme puts on every page.

- ``static/book.css`` makes outputs wrap at the column, tables fit it, and
  figures, widgets and HTML outputs readable in dark mode (tests/test_browser.py
  measures the result).

- sphinx-thebe registers its inline configuration script (``const THEBE_JS_URL = ...``)
  through ``app.add_js_file(None, ...)``; Sphinx 7.4 keeps it once as ``None`` and
  once as ``""``, so each page declared the constant twice (a SyntaxError). Each
  script is now emitted once.
- pydata-sphinx-theme logs "Got invalid theme mode" when its template variable
  ``default_mode`` is unset, as Jupyter Book leaves it; it is set to ``auto``
  (follow the reader's light or dark setting) in ``html_context``.
- The theme option ``navbar_persistent`` is set empty, so that no header bar
  with a second search box tops every page at desktop widths.

tests/test_browser.py fails on any console error, so it guards the first two.
"""

from __future__ import annotations


def _set_theme_defaults(app, config) -> None:
    context = dict(config.html_context or {})
    context.setdefault("default_mode", "auto")
    config.html_context = context
    # pydata-sphinx-theme 0.16+ fills an unset ``navbar_persistent`` with a search
    # field, which sphinx-book-theme (already searching from its sidebar) does not
    # expect: every wide page got an empty 64 px bar across its top, holding only
    # a second search box. Empty, the theme leaves the bar out.
    options = dict(config.html_theme_options or {})
    options.setdefault("navbar_persistent", [])
    config.html_theme_options = options


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
    app.connect("config-inited", _set_theme_defaults)
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
