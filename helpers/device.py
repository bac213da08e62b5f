"""Choose and report the accelerator for JAX and PyTorch, the same way in every chapter.

The reader can force a choice with the environment variable ``BOOK_DEVICE``
(``cpu``, ``gpu`` or ``tpu``). Without it, each framework takes the best device
it finds, except that PyTorch stays on the CPU of a TPU machine: JAX owns the
TPU, and ``torch_xla`` cannot share it with JAX in one process.

Call :func:`configure_jax` before the first ``import jax`` (every chapter does so
through :func:`summary`): JAX reads ``jax_platforms`` only when it starts.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # pragma: no cover - imported for type hints only
    import jax
    import torch

ENV_VAR = "BOOK_DEVICE"
CHOICES: tuple[str, ...] = ("cpu", "gpu", "tpu")
Choice = Literal["cpu", "gpu", "tpu"]


class DeviceChoiceError(ValueError):
    """``BOOK_DEVICE`` (or a ``device=`` argument) names something unknown."""


class DeviceUnavailableError(RuntimeError):
    """The chosen device is valid but not present on this machine."""


def requested() -> Choice | None:
    """The device the reader asked for through ``BOOK_DEVICE``, or None for automatic."""
    raw = os.environ.get(ENV_VAR)
    if raw is None or raw.strip() == "":
        return None
    return validate(raw, source=f"environment variable {ENV_VAR}")


def validate(choice: object, source: str = "device") -> Choice:
    """Normalise a device name, or raise an error that lists the valid names."""
    if not isinstance(choice, str):
        raise DeviceChoiceError(
            f"{source} must be a string, one of {', '.join(CHOICES)}; got {choice!r} "
            f"({type(choice).__name__})"
        )
    name = choice.strip().lower()
    if name not in CHOICES:
        raise DeviceChoiceError(
            f"{source} is {choice!r}, which is not a device this book knows. "
            f"Use one of: {', '.join(CHOICES)} (or leave it unset to let the book choose)."
        )
    return name  # type: ignore[return-value]


def configure_jax(choice: str | None = None) -> None:
    """Tell JAX which platform to use, before it starts.

    Sets ``jax_platforms`` from ``choice`` or ``BOOK_DEVICE`` and turns off GPU
    memory preallocation so that JAX and PyTorch can share one GPU. Raises
    :class:`RuntimeError` if JAX has already started on another platform.
    """
    name = validate(choice) if choice is not None else requested()
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    platforms = _jax_platforms(name)
    if platforms is None:
        return
    if "jax" not in sys.modules:
        os.environ["JAX_PLATFORMS"] = platforms
        return
    import jax

    current = jax.config.jax_platforms
    if current == platforms:
        return
    if _jax_backends_started():
        raise RuntimeError(
            f"JAX has already started on {jax.default_backend()!r}, so it cannot switch to "
            f"{name!r}. Restart the kernel and call helpers.device.configure_jax() "
            "before the first JAX computation."
        )
    jax.config.update("jax_platforms", platforms)


def _jax_platforms(name: str | None) -> str | None:
    """The ``jax_platforms`` value for a choice, or None to leave JAX's own choice alone.

    ``gpu`` is left to JAX: its automatic choice already prefers a GPU, and
    ``JAX_PLATFORMS=gpu`` makes JAX demand both CUDA and ROCm, failing on a
    machine that has only one of their plugins (seen with jax 0.11 on an H100).
    :func:`jax_device` then checks that JAX did start on a GPU.
    """
    return None if name in (None, "gpu") else name


def _jax_backends_started() -> bool:
    from jax._src import xla_bridge

    return bool(getattr(xla_bridge, "_backends", None))


def jax_device() -> jax.Device:
    """The device JAX computes on; raises if ``BOOK_DEVICE`` asked for one JAX lacks."""
    configure_jax()
    import jax

    name = requested()
    try:
        device = jax.devices()[0]
    except RuntimeError as error:  # JAX found no backend for jax_platforms
        raise DeviceUnavailableError(
            f"{ENV_VAR}={name!r} but JAX found no such device ({error}). "
            f"Unset {ENV_VAR} or set it to one of: {', '.join(CHOICES)} that this machine has."
        ) from error
    found = _platform_family(device.platform)
    if name == "gpu" and found != "gpu":
        raise DeviceUnavailableError(
            f"{ENV_VAR}='gpu' but JAX {jax.__version__} found no GPU and runs on {found!r} "
            f"({device}). Install a GPU build of JAX (e.g. pip install 'jax[cuda12]'), or "
            f"choose one of: {', '.join(CHOICES)} that this machine has."
        )
    if name is not None and found != name:
        raise DeviceUnavailableError(
            f"{ENV_VAR}={name!r} but JAX is running on {found!r} ({device}). "
            "Restart the kernel with the variable set before JAX is imported."
        )
    return device


def torch_device(choice: str | None = None) -> torch.device:
    """The device PyTorch should compute on.

    ``cpu`` is always CPU; ``gpu`` is CUDA (or ROCm, or Apple's MPS) and raises
    if none is present; ``tpu`` keeps PyTorch on the CPU (see the module notes).
    Without a choice: the current accelerator if PyTorch has one, else CPU.
    """
    import torch

    name = validate(choice) if choice is not None else requested()
    if name in ("cpu", "tpu"):
        return torch.device("cpu")
    accelerator = _torch_accelerator(torch)
    if name == "gpu" and accelerator is None:
        raise DeviceUnavailableError(
            f"{ENV_VAR}='gpu' but PyTorch {torch.__version__} finds no GPU "
            "(torch.cuda.is_available() and torch.backends.mps.is_available() are both False). "
            "Install a CUDA or ROCm build of PyTorch, or choose 'cpu'."
        )
    return accelerator if accelerator is not None else torch.device("cpu")


def _torch_accelerator(torch) -> torch.device | None:
    accel = getattr(torch, "accelerator", None)
    if accel is not None and accel.is_available():
        return torch.device(accel.current_accelerator().type)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return None


def use(choice: str) -> tuple[jax.Device, torch.device]:
    """Make ``choice`` the default device of both frameworks for the rest of the session.

    For a chapter whose work suits one device whatever the machine has (the
    XOR network is a CPU job). Returns the JAX device and the PyTorch device.
    """
    name = validate(choice)
    configure_jax()
    import jax
    import torch

    platforms = ("cuda", "rocm", "gpu") if name == "gpu" else (name,)
    found = []
    for platform in platforms:
        try:
            found = jax.devices(platform)
            break
        except RuntimeError:
            continue
    if not found:
        raise DeviceUnavailableError(
            f"device.use({choice!r}): JAX has no {name!r} device here (it has: "
            f"{', '.join(sorted({d.platform for d in jax.devices()}))}). Choose one of those."
        )
    jax.config.update("jax_default_device", found[0])
    torch_target = torch_device(name)
    # CPU is PyTorch's own default; setting it explicitly would route every
    # call through a device mode and slow small-tensor code down.
    torch.set_default_device(None if torch_target.type == "cpu" else torch_target)
    return found[0], torch_target


def _platform_family(platform: str) -> str:
    return "gpu" if platform in ("cuda", "rocm", "gpu", "metal") else platform


@dataclass(frozen=True)
class DeviceSummary:
    """What each framework runs on, for the top of every chapter."""

    requested: str | None
    jax_version: str
    jax_backend: str
    jax_devices: tuple[str, ...]
    torch_version: str
    torch_device: str

    def __str__(self) -> str:
        asked = self.requested or "automatic"
        return "\n".join(
            [
                f"Device choice ({ENV_VAR}): {asked}",
                f"JAX {self.jax_version}: backend {self.jax_backend}, "
                f"devices {', '.join(self.jax_devices)}",
                f"PyTorch {self.torch_version}: device {self.torch_device}",
            ]
        )


def summary() -> DeviceSummary:
    """Configure both frameworks and report versions, backend and device names."""
    device = jax_device()
    import jax
    import torch

    return DeviceSummary(
        requested=requested(),
        jax_version=jax.__version__,
        jax_backend=jax.default_backend(),
        jax_devices=tuple(str(d) for d in jax.devices()) or (str(device),),
        torch_version=torch.__version__,
        torch_device=str(torch_device()),
    )
