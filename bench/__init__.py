"""Command-line front end of helpers.xor.benchmark: ``python -m bench --help``."""
