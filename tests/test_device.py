"""helpers.device: the BOOK_DEVICE override, its errors, and the summary."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from helpers import device


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    """Run code in a fresh interpreter, so that JAX starts anew with ``env``."""
    full_env = {k: v for k, v in os.environ.items() if k not in ("BOOK_DEVICE", "JAX_PLATFORMS")}
    full_env.update(env)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=full_env, timeout=300)


@pytest.mark.parametrize("raw, expected", [("cpu", "cpu"), (" GPU ", "gpu"), ("Tpu", "tpu")])
def test_valid_choices_are_normalised(raw, expected):
    assert device.validate(raw) == expected


@pytest.mark.parametrize("bad", ["xpu", "cuda", "", "cpu0"])
def test_unknown_choice_names_the_valid_ones(bad):
    with pytest.raises(device.DeviceChoiceError) as error:
        device.validate(bad, source="environment variable BOOK_DEVICE")
    message = str(error.value)
    assert repr(bad) in message
    assert "cpu, gpu, tpu" in message
    assert "BOOK_DEVICE" in message


@pytest.mark.parametrize("bad", [3, None, ["cpu"]])
def test_non_string_choice_is_rejected(bad):
    with pytest.raises(device.DeviceChoiceError, match="must be a string"):
        device.validate(bad)


def test_requested_reads_the_environment(monkeypatch):
    monkeypatch.delenv("BOOK_DEVICE", raising=False)
    assert device.requested() is None
    monkeypatch.setenv("BOOK_DEVICE", "  ")
    assert device.requested() is None
    monkeypatch.setenv("BOOK_DEVICE", "CPU")
    assert device.requested() == "cpu"
    monkeypatch.setenv("BOOK_DEVICE", "quantum")
    with pytest.raises(device.DeviceChoiceError, match="quantum"):
        device.requested()


def test_importing_helpers_imports_neither_framework():
    result = run_python(
        "import sys, helpers, helpers.device, helpers.timing, helpers.show, helpers.xor.stages\n"
        "print(sorted(m for m in ('jax', 'torch') if m in sys.modules))"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_book_device_cpu_reaches_both_frameworks():
    result = run_python(
        "import os\nfrom helpers import device\ns = device.summary()\n"
        "print(os.environ['JAX_PLATFORMS'], os.environ['XLA_PYTHON_CLIENT_PREALLOCATE'])\n"
        "print(s.jax_backend, s.torch_device, s.requested)\nprint(s)",
        BOOK_DEVICE="cpu",
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "cpu false"
    assert lines[1] == "cpu cpu cpu"
    assert "Device choice (BOOK_DEVICE): cpu" in result.stdout
    assert "JAX 0.10.2" in result.stdout or "JAX " in result.stdout


def test_automatic_choice_reports_versions():
    result = run_python(
        "from helpers import device\nimport jax, torch\ns = device.summary()\n"
        "assert s.jax_version == jax.__version__ and s.torch_version == torch.__version__\n"
        "assert s.requested is None and s.jax_devices\nprint(s.jax_backend)"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() in ("cpu", "gpu", "tpu")


def test_gpu_choice_leaves_jax_platforms_to_jax():
    """JAX_PLATFORMS=gpu demands CUDA and ROCm both; a CUDA-only JAX then fails to start."""
    result = run_python(
        "import os\nfrom helpers import device\ndevice.configure_jax('gpu')\n"
        "print(os.environ.get('JAX_PLATFORMS', 'unset'))\n"
        "device.configure_jax('cpu')\nprint(os.environ['JAX_PLATFORMS'])",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["unset", "cpu"]


def test_unavailable_gpu_is_a_clear_error_for_jax():
    result = run_python(
        "import jax\nif jax.default_backend() != 'cpu': raise SystemExit(42)\n",
    )
    if result.returncode == 42:
        pytest.skip("this machine has an accelerator; the missing-GPU path cannot be shown")
    result = run_python(
        "from helpers import device\n"
        "try:\n    device.jax_device()\n"
        "except device.DeviceUnavailableError as e:\n    print('ERR', e)\n",
        BOOK_DEVICE="gpu",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ERR BOOK_DEVICE='gpu'")


def test_unavailable_gpu_is_a_clear_error_for_torch(monkeypatch):
    torch = pytest.importorskip("torch")
    if device._torch_accelerator(torch) is not None:
        pytest.skip("this machine has a PyTorch accelerator")
    monkeypatch.setenv("BOOK_DEVICE", "gpu")
    with pytest.raises(device.DeviceUnavailableError, match="finds no GPU"):
        device.torch_device()


def test_torch_stays_on_cpu_for_cpu_and_tpu():
    torch = pytest.importorskip("torch")
    assert device.torch_device("cpu") == torch.device("cpu")
    assert device.torch_device("tpu") == torch.device("cpu")


def test_switching_jax_platform_after_start_is_refused():
    result = run_python(
        "import jax\njax.numpy.zeros(1).block_until_ready()\n"
        "from helpers import device\n"
        "try:\n    device.configure_jax('tpu')\n"
        "except RuntimeError as e:\n    print('ERR', e)\n",
    )
    assert result.returncode == 0, result.stderr
    assert "cannot switch to 'tpu'" in result.stdout
    assert "Restart the kernel" in result.stdout


def test_use_cpu_sets_both_frameworks():
    result = run_python(
        "from helpers import device\nimport jax.numpy as jnp, torch\n"
        "jd, td = device.use('cpu')\n"
        "print(jd.platform, td, jnp.zeros(1).devices().pop().platform, torch.zeros(1).device)"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["cpu", "cpu", "cpu", "cpu"]


def test_use_rejects_unknown_and_missing_devices():
    with pytest.raises(device.DeviceChoiceError, match="cpu, gpu, tpu"):
        device.use("npu")
    result = run_python(
        "import jax\nif jax.default_backend() != 'cpu': raise SystemExit(42)\n"
        "from helpers import device\n"
        "try:\n    device.use('tpu')\n"
        "except device.DeviceUnavailableError as e:\n    print('ERR', e)\n"
    )
    if result.returncode == 42:
        pytest.skip("this machine has an accelerator")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ERR device.use('tpu'): JAX has no 'tpu' device here")
