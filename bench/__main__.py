"""Time every XOR training variant side by side: ``python -m bench [--quick] [--json FILE]``.

The variants and the measuring live in helpers.xor.benchmark, which the book's
chapters call too; this module only parses arguments and writes the results.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import pathlib
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="fewer epochs for slow variants (projected to 10,000); under 2 minutes")
    parser.add_argument("--json", type=pathlib.Path, metavar="FILE", help="write the results as JSON")
    parser.add_argument("--chart", type=pathlib.Path, metavar="FILE", help="write a PNG bar chart")
    parser.add_argument("--device", choices=("cpu", "gpu", "tpu"),
                        help="accelerator for both frameworks (default: BOOK_DEVICE, else automatic)")
    parser.add_argument("--only", metavar="TEXT", help="only variants whose name contains TEXT")
    parser.add_argument("--repeats", type=int, help="steady-state repetitions per variant")
    args = parser.parse_args(argv)
    if args.repeats is not None and args.repeats < 1:
        parser.error("--repeats must be at least 1")
    if args.device:
        os.environ["BOOK_DEVICE"] = args.device

    from helpers import device
    from helpers.xor import benchmark

    try:
        print(device.summary(), flush=True)
        if args.device:
            device.use(args.device)
        results = benchmark.run_all(quick=args.quick, repeats=args.repeats, only=args.only,
                                    progress=lambda line: print(line, flush=True))
    except (device.DeviceChoiceError, device.DeviceUnavailableError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print()
    print(benchmark.table(results))
    if args.json:
        rows = [{k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.as_dict().items()}
                for r in results]
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
        print(f"\nwrote {args.json}")
    if args.chart:
        import matplotlib

        matplotlib.use("Agg")
        benchmark.chart(results).savefig(args.chart, dpi=110)
        print(f"wrote {args.chart}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
