"""Every chapter page of the built book, opened in headless Chromium, as a reader sees it.

Checks, page by page: no console errors and no request leaving 127.0.0.1 (the
widget and math scripts are served by the book itself), every figure loaded,
every stored widget rendered, math typeset, the Colab button pointing at this
page's notebook in the repository, and every internal link resolving.

Needs Debian's ``chromium`` (``scripts/install_browser.sh``, which ``make test``
and ``.ci/run`` call) and the ``playwright`` package; skips with the reason when
either is missing. Set ``BOOK_SCREENSHOTS=DIR`` to keep a full-page screenshot
of each page at each width (and in dark mode, for pages with figures or widgets).
"""

from __future__ import annotations

import functools
import http.server
import os
import pathlib
import re
import shutil
import subprocess
import sys
import threading
import urllib.parse

import pytest
from conftest import ROOT, notebooks

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
REPOSITORY = "jax-for-pytorch-users/jax-for-pytorch-users"

pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH: run scripts/install_browser.sh "
                       "(apt-get install chromium) to run the browser test"),
]
playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed "
                                     "(it is in requirements.txt: run `make test`)")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> pathlib.Path:
    """The book built from the stored outputs, as `make book` builds it."""
    out = tmp_path_factory.mktemp("browser")
    jupyter_book = pathlib.Path(sys.executable).parent / "jupyter-book"
    result = subprocess.run([str(jupyter_book), "build", str(ROOT), "--path-output", str(out)],
                            capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out / "_build" / "html"


@pytest.fixture(scope="module")
def server(site):
    """Serve the HTML on 127.0.0.1 (an ephemeral port), as a reader's local server would."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep pytest's output for failures
        pass


@pytest.fixture(scope="module")
def browser():
    """Chromium with the flags of a clean headless run; Playwright gives it a fresh profile."""
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _toc_pages() -> list[str]:
    """Every page in _toc.yml (root first), as paths without suffix, e.g. "book/jit"."""
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    chapters = [c["file"] for part in toc["parts"] for c in part["chapters"]]
    return [toc["root"], *chapters]


PAGES = _toc_pages()


def test_every_notebook_is_a_page():
    assert {p.relative_to(ROOT).with_suffix("").as_posix() for p in notebooks()} <= set(PAGES)


def test_site_root_leads_to_the_landing_page(server, browser):
    page = browser.new_page()
    page.goto(server)
    page.wait_for_url("**/" + PAGES[0] + ".html", timeout=10_000)
    assert page.url == urllib.parse.urljoin(server, PAGES[0] + ".html")
    page.close()


@pytest.mark.parametrize("page_name", PAGES)
def test_page_renders_offline(page_name, site, server, browser):
    url = urllib.parse.urljoin(server, page_name + ".html")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url} ({r.failure})"))

    def only_local(route):
        if urllib.parse.urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            problems.append(f"request left the book: {route.request.url}")
            route.abort()

    page.route("**/*", only_local)
    page.goto(url, wait_until="networkidle")
    html_file = site / (page_name + ".html")
    source = html_file.read_text()

    widget_views = source.count('type="application/vnd.jupyter.widget-view+json"')
    if widget_views:
        page.wait_for_function(
            "document.querySelectorAll('.jupyter-widgets.widget-container, "
            ".jupyter-widgets.widget-inline-hbox, .jupyter-widgets.widget-image, "
            ".jupyter-widgets-view').length > 0", timeout=20_000)
    if "\\(" in source or "\\[" in source or 'class="math' in source:
        page.wait_for_selector("mjx-container", timeout=20_000)
        assert page.locator("mjx-merror").count() == 0, "MathJax reported an error"
    page.wait_for_load_state("networkidle")

    if os.environ.get("BOOK_SCREENSHOTS"):
        folder = pathlib.Path(os.environ["BOOK_SCREENSHOTS"])
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / (page_name.replace("/", "_") + ".png")), full_page=True)

    # Figures: every <img> loaded with a real size.
    broken = page.evaluate("[...document.images].filter(i => !i.complete || i.naturalWidth === 0)"
                           ".map(i => i.src)")
    assert broken == [], f"figures that did not load: {broken}"
    # Stored figures only: an explorer widget's image has no alt attribute in ipywidgets,
    # and each explorer has a static figure beside it, which has one.
    unlabelled = page.evaluate("[...document.querySelectorAll('.cell_output img:not(.widget-image)')]"
                               ".filter(i => !i.alt || i.alt.endsWith('.png')).map(i => i.src)")
    assert unlabelled == [], f"figures without alt text: {unlabelled}"
    notebook = ROOT / (page_name + ".ipynb")
    if notebook.exists():
        stored = notebook.read_text().count('"image/png"')
        assert page.locator("img").count() >= stored, "a stored figure is missing from the page"

    # Widgets: each stored view rendered into visible, non-empty DOM.
    if widget_views:
        rendered = page.evaluate(
            "[...document.querySelectorAll('script[type=\"application/vnd.jupyter.widget-view+json\"]')]"
            ".map(s => { const out = s.parentElement; const r = out.getBoundingClientRect();"
            " return out.querySelector('.jupyter-widgets') !== null && r.height > 10; })")
        assert rendered and all(rendered), f"widgets not rendered (per view: {rendered})"

    # Colab: the launch link opens this very notebook from the repository.
    if notebook.exists():
        colab = page.eval_on_selector_all("a[href*='colab.research.google.com']",
                                          "els => els.map(e => e.href)")
        expected = (f"https://colab.research.google.com/github/{REPOSITORY}/blob/main/"
                    f"{page_name}.ipynb")
        assert expected in colab, f"no Colab link to {expected}; found {colab}"

    # Internal links: every relative link names a file that the build produced.
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.getAttribute('href'))")
    for href in hrefs:
        parts = urllib.parse.urlsplit(href)
        if parts.scheme or parts.netloc or not parts.path:
            continue
        target = (html_file.parent / urllib.parse.unquote(parts.path)).resolve()
        assert target.exists(), f"broken internal link {href!r} on {page_name}"
        if parts.fragment and target.suffix == ".html":
            ids = set(re.findall(r'\bid="([^"]+)"', target.read_text()))
            assert urllib.parse.unquote(parts.fragment) in ids, f"link {href!r} names a missing anchor"

    context.close()
    assert problems == [], "\n".join(problems)


# Legibility, measured as a reader sees the page (issue: "nothing cut off").
WIDTHS = {"desktop": 1280, "phone": 390}
# Blocks allowed to scroll sideways on purpose: {page: {width name: how many, why}}.
ALLOWED_WIDE_BLOCKS: dict[str, dict[str, int]] = {}
# Matplotlib draws text at 10 pt and tick labels at about 8 pt, at 100 dpi:
# about 14 px and 11 px. Shown at less than 0.75 of its natural width, tick
# labels fall under 8.5 px: too small to read. Figures are drawn for the column.
MIN_FIGURE_SCALE = 0.75

# At a phone's width a 79-column code cell cannot fit, and wrapping code would
# hide its indentation: code may scroll there, printed output may not.
BLOCKS = {"desktop": "article pre", "phone": "article div.cell_output pre"}

MEASURE = """(blocks) => {
  const wide = [...document.querySelectorAll(blocks)]
    .filter(e => e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0)
    .map(e => (e.innerText || '').split('\\n')[0].slice(0, 60));
  const column = document.querySelector('article.bd-article');
  const limit = column ? column.getBoundingClientRect().right + 1 : window.innerWidth;
  const tables = [...document.querySelectorAll('article table')]
    .filter(t => t.getBoundingClientRect().right > limit && t.scrollWidth > t.clientWidth + 1
                 || t.getBoundingClientRect().right > window.innerWidth + 1)
    .map(t => (t.innerText || '').slice(0, 60));
  const figures = [...document.querySelectorAll('div.cell_output img:not(.widget-image)')]
    .filter(i => i.naturalWidth > 0 && i.clientWidth > 0)
    .map(i => ({src: i.src.split('/').pop(), scale: i.clientWidth / i.naturalWidth}));
  const doubled = [...document.querySelectorAll('pre')].filter(p =>
    [...p.childNodes].some((n, k, all) => n.nodeType === 3 && n.textContent === '\\n'
      && k > 0 && all[k - 1].nodeType === 1
      && getComputedStyle(all[k - 1]).display === 'block')).length;
  return {wide, tables, figures, doubled,
          pageScroll: document.documentElement.scrollWidth > window.innerWidth + 1};
}"""


def _screenshots(page, folder: pathlib.Path, stem: str) -> None:
    """A full-page screenshot; for a page with figures or widgets, one in dark mode too."""
    folder.mkdir(parents=True, exist_ok=True)
    widgets = page.locator("script[type='application/vnd.jupyter.widget-view+json']").count()
    if widgets:
        page.wait_for_selector("div.cell_output .jupyter-widgets", timeout=20_000)
    page.screenshot(path=str(folder / f"{stem}.png"), full_page=True)
    if widgets or page.locator("div.cell_output img").count():
        # The theme switches live on this attribute, as its light/dark button does.
        page.evaluate("document.documentElement.dataset.theme = 'dark'")
        page.screenshot(path=str(folder / f"{stem}-dark.png"), full_page=True)
        page.evaluate("document.documentElement.dataset.theme = 'light'")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("page_name", PAGES)
def test_page_is_legible(page_name, width, server, browser):
    context = browser.new_context(viewport={"width": WIDTHS[width], "height": 900})
    page = context.new_page()
    page.route("**/*", lambda route: route.continue_()
               if urllib.parse.urlsplit(route.request.url).hostname == "127.0.0.1" else route.abort())
    page.goto(urllib.parse.urljoin(server, page_name + ".html"), wait_until="networkidle")
    if os.environ.get("BOOK_SCREENSHOTS"):
        _screenshots(page, pathlib.Path(os.environ["BOOK_SCREENSHOTS"]),
                     f"{page_name.replace('/', '_')}-{width}")
    found = page.evaluate(MEASURE, BLOCKS[width])
    context.close()
    problems = []
    allowed = ALLOWED_WIDE_BLOCKS.get(page_name, {}).get(width, 0)
    if len(found["wide"]) > allowed:
        problems.append(f"{len(found['wide'])} blocks scroll sideways: {found['wide']}")
    if found["tables"]:
        problems.append(f"{len(found['tables'])} tables wider than the column: {found['tables']}")
    if found["pageScroll"]:
        problems.append("the whole page scrolls sideways")
    if found["doubled"]:
        problems.append(f"{found['doubled']} diffs or listings render double-spaced")
    small = [f for f in found["figures"] if f["scale"] < MIN_FIGURE_SCALE]
    if width == "desktop" and small:
        problems.append(f"{len(small)} figures shrunk below {MIN_FIGURE_SCALE} of their size: {small}")
    assert not problems, f"{page_name} at {WIDTHS[width]} px: " + "; ".join(problems)
