"""``python -m testbed``: serve the simulated marketplace in the foreground (same as ``gigscan testbed serve``)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from testbed.faults import Faults
from testbed.server import TestbedServer, run


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m testbed", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="a loopback address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8800, help="0 picks a free port")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--listings", type=int, default=600)
    parser.add_argument("--block-rate", type=float, default=0.0, help="share of requests answered by a block page")
    parser.add_argument("--step", type=int, default=0, help="catalogue step (edits, removals, restorations)")
    parser.add_argument("--faults", type=float, default=0.0,
                        help="share of page requests answered with a fault (testbed.faults)")
    parser.add_argument("--fault-kinds", help="comma-separated fault kinds (default: all)")
    parser.add_argument("--port-file", type=Path, help="write the bound port here once listening")
    args = parser.parse_args(argv)

    def announce(server: TestbedServer) -> None:
        print(f"testbed: serving {server.catalogue.listings} listings (seed {server.seed}, step {server.step}) "
              f"at {server.url}; Ctrl-C to stop", file=sys.stderr, flush=True)

    try:
        faults = Faults(args.faults, args.seed, Faults.parse_kinds(args.fault_kinds)) if args.faults else None
        run(host=args.host, port=args.port, seed=args.seed, listings=args.listings, block_rate=args.block_rate,
            step=args.step, port_file=args.port_file, faults=faults, on_ready=announce)
    except ValueError as exc:
        parser.error(str(exc))


if __name__ == "__main__":
    main()
