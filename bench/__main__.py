"""Time every XOR training variant side by side: ``python -m bench [--quick] [--json FILE]``.

The variants and the measuring live in helpers.xor.benchmark, which the book's
chapters call too; this module only parses arguments and writes the results.
``--cnn`` also times one training step of the second act's CNN in four variants
(helpers.cnn_benchmark). ``--compare A.json B.json`` prints two saved runs side
by side instead.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import pathlib
import sys


def _clean(value):
    """JSON has no NaN: write null instead, inside lists and dicts too."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="fewer epochs for slow variants (projected to 10,000); about 2 minutes")
    parser.add_argument("--json", type=pathlib.Path, metavar="FILE",
                        help="write the results, every timing and the setup (versions, machine, threads)")
    parser.add_argument("--chart", type=pathlib.Path, metavar="FILE", help="write a PNG bar chart")
    parser.add_argument("--device", choices=("cpu", "gpu", "tpu"),
                        help="accelerator for both frameworks (default: BOOK_DEVICE, else automatic)")
    parser.add_argument("--only", metavar="TEXT", nargs="+",
                        help="only variants whose name contains TEXT (or any of several)")
    parser.add_argument("--slow-compiles", action="store_true",
                        help="with --quick, also run the variants that take tens of seconds to "
                             "compile (several epochs per compiled call, cpp_wrapper)")
    parser.add_argument("--repeats", type=int, help="steady-state calls per variant (default: adaptive)")
    parser.add_argument("--budget", type=float, metavar="SECONDS",
                        help="time each variant's steady calls may take (default 1 s, 5 s without --quick)")
    parser.add_argument("--threads", type=int, default=1,
                        help="PyTorch's thread count, and with 1 XLA's too (default 1)")
    parser.add_argument("--cold-inductor-cache", action="store_true",
                        help="give Inductor a fresh, empty cache directory, so compile times are cold")
    parser.add_argument("--inductor-cache-cold-warm", action="store_true",
                        help="also time one compiled PyTorch variant's first call in two fresh "
                             "processes sharing a new Inductor cache: cold, then warm (about a minute)")
    parser.add_argument("--cnn", action="store_true",
                        help="also time one training step of the digits CNN: PyTorch eager and "
                             "torch.compile, jax.jit and nnx.jit (losses checked first)")
    parser.add_argument("--cnn-budget", type=float, default=20.0, metavar="SECONDS",
                        help="time the CNN steps' interleaved rounds may take (default 20 s)")
    parser.add_argument("--compare", nargs=2, type=pathlib.Path, metavar=("A.json", "B.json"),
                        help="print two saved runs side by side, with ratios, and run nothing")
    args = parser.parse_args(argv)
    if args.repeats is not None and args.repeats < 1:
        parser.error("--repeats must be at least 1")
    if args.threads is not None and args.threads < 1:
        parser.error("--threads must be at least 1")
    if args.budget is not None and not args.budget > 0:
        parser.error("--budget must be a positive number of seconds")
    if not args.cnn_budget > 0:
        parser.error("--cnn-budget must be a positive number of seconds")
    if args.compare:
        from helpers.xor import benchmark

        try:
            a, b = (json.loads(path.read_text()) for path in args.compare)
            print(benchmark.compare(a, b))
        except (OSError, ValueError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        return 0
    if args.device:
        os.environ["BOOK_DEVICE"] = args.device
    flags = os.environ.get("XLA_FLAGS", "").split()
    if args.threads == 1 and not any(f.startswith("--xla_cpu_multi_thread_eigen") for f in flags):
        # before JAX starts: XLA's CPU backend then runs each op on one thread
        os.environ["XLA_FLAGS"] = " ".join([*flags, "--xla_cpu_multi_thread_eigen=false"])
    if args.cold_inductor_cache:
        import tempfile

        os.environ["TORCHINDUCTOR_CACHE_DIR"] = tempfile.mkdtemp(prefix="bench-inductor-")

    from helpers import device
    from helpers.xor import benchmark

    try:
        print(device.summary(), flush=True)
        if args.device:
            device.use(args.device)
        results = benchmark.run_all(quick=args.quick, repeats=args.repeats, only=args.only,
                                    budget_s=args.budget, threads=args.threads,
                                    slow_compiles=True if args.slow_compiles else None,
                                    progress=lambda line: print(line, flush=True))
    except (device.DeviceChoiceError, device.DeviceUnavailableError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print()
    print(benchmark.table(results))
    cache = None
    if args.inductor_cache_cold_warm:
        print("\nInductor cache: the first call in a fresh process, cold then warm", flush=True)
        try:
            cache = benchmark.inductor_cache_cold_warm(threads=args.threads)
        except RuntimeError as error:
            cache = {"error": str(error)}
            print(f"  failed: {error}")
        else:
            print(benchmark.cache_text(cache))
    cnn = None
    if args.cnn:
        from helpers import cnn_benchmark

        print("\nThe digits CNN: one training step, four ways", flush=True)
        cnn = cnn_benchmark.run(budget_s=args.cnn_budget, threads=args.threads,
                                progress=lambda line: print(line, flush=True))
        print(cnn_benchmark.table(cnn))
    if args.json:
        record = {"setup": results.setup, "results": [r.as_dict() for r in results],
                  "skipped": results.skipped}
        if cache is not None:
            record["inductor_cache"] = cache
        if cnn is not None:
            record["cnn"] = cnn_benchmark.to_json(cnn)
        args.json.write_text(json.dumps(_clean(record), indent=2) + "\n")
        print(f"\nwrote {args.json}")
    if args.chart:
        import matplotlib

        matplotlib.use("Agg")
        benchmark.chart(results).savefig(args.chart, dpi=110)
        print(f"wrote {args.chart}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
