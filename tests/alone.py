"""Run one chapter as a Colab reader would: alone in an empty folder, without the repo or helpers.

Each run gets a fresh virtual environment whose packages are the pinned ones
(.venv's site-packages, added by a .pth file, so nothing is installed twice),
optionally under a layer of other versions (Colab's), and none of the repo: the
editable install of ``helpers`` in .venv is a .pth file there, which Python does
not follow from an added folder. The chapter's bootstrap cell must install
``helpers`` itself, from the wheel that ``BOOK_HELPERS_SOURCE`` names.
"""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys
import sysconfig

from conftest import ROOT

RUNNER = """\
import sys
import nbformat
from nbclient import NotebookClient

nb = nbformat.read(sys.argv[1], as_version=4)
# One more cell reports what the kernel really imported.
nb.cells.append(nbformat.v4.new_code_cell(
    "import helpers, ipywidgets, jax\\n"
    "print('versions', jax.__version__, ipywidgets.__version__, helpers.__file__)"))
NotebookClient(nb, timeout=1200, kernel_name="python3", resources={"metadata": {"path": "."}}).execute()
nbformat.write(nb, "executed.ipynb")  # for comparing outputs with the stored ones
# Its stdout only: a message that torch logs late to stderr can land in this cell too.
print("".join(o.get("text", "") for o in nb.cells[-1].outputs if o.get("name") == "stdout").strip())
print("ran to the end")
"""


def build_helpers_wheel(folder: pathlib.Path) -> pathlib.Path:
    """A wheel of ``helpers`` from this checkout, as the release tag would give a Colab reader."""
    source = folder / "source"  # a copy: building in the checkout races with the other worker
    shutil.copytree(ROOT / "helpers", source / "helpers", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", source / "pyproject.toml")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", str(folder), str(source)], check=True, capture_output=True, timeout=300)
    (wheel,) = folder.glob("*.whl")
    return wheel


def make_environment(folder: pathlib.Path, layers: list[pathlib.Path]) -> pathlib.Path:
    """A new venv seeing ``layers`` first, then .venv's packages; returns its python."""
    subprocess.run([sys._base_executable, "-m", "venv", "--without-pip", str(folder)], check=True,
                   timeout=120)
    python = folder / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          capture_output=True, text=True, check=True).stdout.strip()
    paths = [*layers, pathlib.Path(sysconfig.get_path("purelib"))]
    (pathlib.Path(site) / "book-stack.pth").write_text("".join(f"{p}\n" for p in paths))
    kernel = folder / "share" / "jupyter" / "kernels" / "python3"
    kernel.mkdir(parents=True)
    (kernel / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (alone)", "language": "python"}))
    return python


def run_alone(notebook: pathlib.Path, tmp: pathlib.Path, wheel: pathlib.Path,
              layers: list[pathlib.Path] = ()) -> subprocess.CompletedProcess:
    """Copy ``notebook`` into an empty folder and execute it there in a fresh environment."""
    python = make_environment(tmp / "env", list(layers))
    work = tmp / "work"
    work.mkdir()
    shutil.copy(notebook, work / notebook.name)
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "BOOK_DEVICE", "JAX_PLATFORMS", "VIRTUAL_ENV")}
    env.update(BOOK_HELPERS_SOURCE=str(wheel), JUPYTER_PATH=str(tmp / "env" / "share" / "jupyter"),
               PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INDEX="1")
    before = subprocess.run([str(python), "-c", "import importlib.util as u; print(u.find_spec('helpers'))"],
                            cwd=work, env=env, capture_output=True, text=True, timeout=60)
    assert before.stdout.strip() == "None", f"helpers is importable before the bootstrap: {before}"
    return subprocess.run([str(python), "-c", RUNNER, notebook.name], cwd=work, env=env,
                          capture_output=True, text=True, timeout=1800)


def assert_ran_alone(result: subprocess.CompletedProcess, tmp: pathlib.Path,
                     versions: tuple[str, str]) -> None:
    """The run ended well, with these (jax, ipywidgets) versions and helpers from the bootstrap."""
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    assert "ran to the end" in result.stdout
    jax_version, widgets_version, helpers_file = result.stdout.split("versions ")[1].split()[:3]
    assert (jax_version, widgets_version) == versions
    assert str(tmp / "env") in helpers_file, "helpers did not come from the bootstrap's install"
