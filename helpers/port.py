"""Carry a trained PyTorch model's weights into a Flax NNX model: names,
layouts and checks.

PyTorch and Flax store the same layer differently: ``nn.Linear.weight`` is
``(out, in)`` where ``nnx.Linear.kernel`` is ``(in, out)``;
``nn.Conv2d.weight`` is OIHW where ``nnx.Conv.kernel`` is HWIO; BatchNorm's
``weight`` and ``running_var`` are NNX's ``scale`` and ``var``.
:func:`port_weights` applies those layouts layer by layer, from a name mapping
the reader writes once, and refuses anything it cannot account for: a PyTorch
tensor left unmapped, an NNX variable left unset, a shape that does not fit, a
layer type it has no layout for. Each error names the key and says what to
do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np


class PortError(ValueError):
    """A PyTorch state that does not fit the Flax NNX model as mapped."""


def _same(array: np.ndarray) -> np.ndarray:
    return array


Layout = Callable[[np.ndarray], np.ndarray]

# PyTorch layer type name ->
#     {PyTorch tensor name: (NNX variable name, layout change)}.
LAYOUTS: dict[str, dict[str, tuple[str, Layout]]] = {
    "Linear": {"weight": ("kernel", lambda w: w.T), "bias": ("bias", _same)},
    # OIHW (out, in, height, width) -> HWIO
    "Conv1d": {"weight": ("kernel", lambda w: w.transpose(2, 1, 0)),
               "bias": ("bias", _same)},
    "Conv2d": {"weight": ("kernel", lambda w: w.transpose(2, 3, 1, 0)),
               "bias": ("bias", _same)},
    "BatchNorm1d": {"weight": ("scale", _same), "bias": ("bias", _same),
                    "running_mean": ("mean", _same),
                    "running_var": ("var", _same)},
    "BatchNorm2d": {"weight": ("scale", _same), "bias": ("bias", _same),
                    "running_mean": ("mean", _same),
                    "running_var": ("var", _same)},
    "LayerNorm": {"weight": ("scale", _same), "bias": ("bias", _same)},
    "Embedding": {"weight": ("embedding", _same)},
}
# PyTorch bookkeeping with no NNX counterpart: BatchNorm counts its updates
# only to support momentum=None (a cumulative average), which NNX's BatchNorm
# does not offer.
IGNORED = frozenset({"num_batches_tracked"})


def nnx_weights(torch_model: Any, names: Mapping[str, str],
                tensors: Mapping[str, Any] | None = None
                ) -> dict[str, np.ndarray]:
    """The PyTorch model's tensors in NNX layout, keyed by dotted NNX path
    ("conv1.kernel").

    ``names`` maps each PyTorch submodule that holds tensors
    (``"features.0"``) to the NNX attribute path of its counterpart
    (``"conv1"``, or ``"blocks.0.norm"`` for a list entry). ``tensors``
    converts other tensors keyed like the ``state_dict`` instead of it (for
    example each parameter's ``.grad``, to compare gradients with JAX's); a
    key it lacks is skipped.
    """
    state = torch_model.state_dict() if tensors is None else tensors
    converted, used = {}, set()
    for key, nnx_path, change in _pairs(torch_model, names):
        if key not in state:
            continue  # e.g. a layer built with bias=False
        converted[nnx_path] = change(_numpy(state[key]))
        used.add(key)
    left = sorted(k for k in set(state) - used
                  if k.rsplit(".", 1)[-1] not in IGNORED)
    if left:
        raise PortError(f"the PyTorch tensor {left[0]!r} is not mapped: add "
                        f"its module {left[0].rsplit('.', 1)[0]!r} to the "
                        f"names ({len(left)} tensors unmapped)")
    return converted


def mapping(torch_model: Any, names: Mapping[str, str]
            ) -> list[tuple[str, tuple, str, tuple]]:
    """One row per ``state_dict`` tensor: (PyTorch key, its shape, NNX path,
    shape there).

    The readable form of what :func:`port_weights` will do; bookkeeping that
    NNX does not keep (``num_batches_tracked``) has ``"(not carried)"`` as its
    path.
    """
    weights = nnx_weights(torch_model, names)  # validates the names first
    paths = {key: path for key, path, _ in _pairs(torch_model, names)}
    rows = []
    for key, tensor in torch_model.state_dict().items():
        path = paths.get(key, "(not carried)")
        shape = tuple(weights[path].shape) if path in weights else ()
        rows.append((key, tuple(tensor.shape), path, shape))
    return rows


def _pairs(torch_model: Any, names: Mapping[str, str]):
    """(PyTorch key, NNX path, layout change) for every tensor the mapped
    layers can hold."""
    modules = dict(torch_model.named_modules())
    unknown = sorted(set(names) - set(modules))
    if unknown:
        raise PortError(f"no PyTorch submodule named {unknown[0]!r}; the "
                        "model has: "
                        f"{', '.join(n for n in modules if n) or '(none)'}")
    for torch_name, nnx_path in names.items():
        kind = type(modules[torch_name]).__name__
        if kind not in LAYOUTS:
            raise PortError(f"no layout for {torch_name!r}, a torch.nn."
                            f"{kind}: helpers.port knows "
                            f"{', '.join(sorted(LAYOUTS))}; add an entry to "
                            "helpers.port.LAYOUTS")
        prefix = f"{torch_name}." if torch_name else ""
        for tensor_name, (nnx_name, change) in LAYOUTS[kind].items():
            yield prefix + tensor_name, f"{nnx_path}.{nnx_name}", change


def _numpy(tensor: Any) -> np.ndarray:
    if hasattr(tensor, "detach"):
        return tensor.detach().cpu().numpy()
    return np.asarray(tensor)


def port_weights(torch_model: Any, nnx_model: Any,
                 names: Mapping[str, str]) -> None:
    """Copy ``torch_model``'s parameters and running statistics into
    ``nnx_model``, in place.

    Every NNX parameter and batch statistic must receive a value of exactly
    its shape and of its kind of dtype (a float for a float); the value is
    then cast to the variable's own dtype (float64 weights into a float32
    model, say). Anything else raises :class:`PortError` naming it.
    """
    from flax import nnx

    weights = nnx_weights(torch_model, names)
    # not Dropout's RNG state
    state = nnx.state(nnx_model, nnx.Any(nnx.Param, nnx.BatchStat))
    pure = nnx.to_pure_dict(state)
    targets = dict(dotted_leaves(pure))
    for path, value in weights.items():
        if path not in targets:
            raise PortError(f"the NNX model has no variable {path!r} (from "
                            "the names mapping); it has: "
                            f"{', '.join(sorted(targets))}")
        if tuple(targets[path].shape) != value.shape:
            raise PortError(f"shape mismatch at {path!r}: the NNX model "
                            f"expects {tuple(targets[path].shape)}, PyTorch "
                            f"gives {value.shape} after the layout change; "
                            "check that the two models are built with the "
                            "same sizes")
        wanted = np.asarray(targets[path]).dtype
        if wanted.kind != value.dtype.kind:
            raise PortError(f"dtype mismatch at {path!r}: the NNX model holds "
                            f"{wanted}, PyTorch gives {value.dtype}; build "
                            "the NNX model with a "
                            f"{value.dtype.kind!r}-kind dtype or convert the "
                            "PyTorch model first")
    missing = sorted(set(targets) - set(weights))
    if missing:
        raise PortError(f"the NNX variable {missing[0]!r} got no value: map "
                        "the PyTorch module that holds it "
                        f"({len(missing)} NNX variables unset)")
    for path, value in weights.items():
        _set(pure, path, value.astype(np.asarray(targets[path]).dtype))
    nnx.replace_by_pure_dict(state, pure)
    nnx.update(nnx_model, state)


def dotted_leaves(tree: Mapping[Any, Any],
                  prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Every leaf of nested mappings as ("dotted.path", value): NNX's pure
    dict, flat."""
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping):
            yield from dotted_leaves(value, path + ".")
        else:
            yield path, value


def _set(tree: dict[Any, Any], path: str, value: np.ndarray) -> None:
    *parents, last = path.split(".")
    for part in parents:
        tree = tree[int(part) if _int_key(tree, part) else part]
    tree[int(last) if _int_key(tree, last) else last] = value


def _int_key(tree: Mapping[Any, Any], part: str) -> bool:
    """NNX keys list entries by int: "blocks.0" names tree["blocks"][0]."""
    return part.isdigit() and int(part) in tree
