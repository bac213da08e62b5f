"""The XOR network of the post, ported from PyTorch to JAX in seven stages."""
