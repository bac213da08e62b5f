"""Put the browser assets the built book needs into vendor/site/, so no page loads a CDN.

    python scripts/vendor_assets.py

Installs the exact versions in vendor/package-lock.json with ``npm ci`` (only
when they are missing or the lock file changed), then copies the few files the
book uses: RequireJS and the ipywidgets HTML manager, which myst-nb loads on
pages with widgets only (``nb_ipywidgets_js`` in _config.yml), and MathJax,
which Sphinx loads on pages with math only (``mathjax_path``). Sphinx copies
vendor/site/ into the root of the HTML (``html_extra_path``), beside _static/.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "vendor"
MODULES = VENDOR / "node_modules"
SITE = VENDOR / "site" / "_vendor"  # ../book/ also lies under vendor/site

# (source under node_modules, destination under _vendor/): a folder is copied whole,
# a pattern's matches go into the destination folder.
FILES: tuple[tuple[str, str], ...] = (
    ("requirejs/require.js", "require.js"),
    ("@jupyter-widgets/html-manager/dist", "@jupyter-widgets/html-manager/dist"),
    # The widget manager loads its icon fonts from a folder it derives relative to
    # the page, not to itself; seen, depending on load order: book/@jupyter-widgets/
    # and book/@jupyter-widgets/html-manager/dist/. Every page with widgets is in book/.
    *((f"@jupyter-widgets/html-manager/dist/*.{kind}", folder)
      for kind in ("woff2", "woff", "ttf", "eot", "svg")
      for folder in ("../book/@jupyter-widgets", "../book/@jupyter-widgets/html-manager/dist")),
    ("../shims/mathjax2-hub.js", "mathjax2-hub.js"),
    ("mathjax/es5/tex-mml-chtml.js", "mathjax/tex-mml-chtml.js"),
    ("mathjax/es5/output/chtml/fonts/woff-v2", "mathjax/output/chtml/fonts/woff-v2"),
)

# Source maps, licence notes and the non-AMD bundle (the book loads embed-amd.js) stay out.
SKIP = shutil.ignore_patterns("*.map", "*.LICENSE.txt", "embed.js", "README.md")


def install() -> None:
    """``npm ci`` from the lock file, unless node_modules already matches it."""
    lock, stamp = VENDOR / "package-lock.json", MODULES / ".package-lock.json"
    if stamp.exists() and stamp.stat().st_mtime >= lock.stat().st_mtime:
        return
    npm = shutil.which("npm")
    if npm is None:
        sys.exit("error: npm not found. The book serves its widget and math scripts itself and "
                 "installs them with npm: install Node.js (e.g. apt-get install nodejs npm).")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
                   cwd=VENDOR, check=True)


def copy() -> None:
    """Replace vendor/site/ with fresh copies of the files in FILES (no source maps)."""
    shutil.rmtree(SITE.parent, ignore_errors=True)
    for source, destination in FILES:
        src, dst = MODULES / source, SITE / destination
        if "*" in source:
            matches = sorted(src.parent.glob(src.name))
            if not matches:
                sys.exit(f"error: nothing matches {src}; delete {MODULES} and run this script again")
            dst.mkdir(parents=True, exist_ok=True)
            for match in matches:
                shutil.copy2(match, dst / match.name)
            continue
        if not src.exists():
            sys.exit(f"error: {src} is missing; delete {MODULES} and run this script again")
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, ignore=SKIP)
        else:
            shutil.copy2(src, dst)


def main() -> int:
    install()
    copy()
    print(f"browser assets ready in {SITE.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
