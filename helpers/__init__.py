"""Shared code for the book "JAX for PyTorch users".

Importing this package is cheap on purpose: it imports neither JAX nor PyTorch,
so that :mod:`helpers.device` can choose the accelerator before either starts.
"""

__version__ = "0.4.0"
