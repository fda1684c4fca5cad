"""``gigscan testbed serve``: the simulated marketplace, for demos, tests and benchmarks (127.0.0.1 only)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from gigscan.app import app, console, fail

testbed_app = typer.Typer(help="The simulated marketplace (offline demos, tests, benchmarks).", no_args_is_help=True)
app.add_typer(testbed_app, name="testbed")


@testbed_app.command("serve")
def serve(
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port on 127.0.0.1; 0 picks a free one.")] = 8800,
    seed: Annotated[int, typer.Option(help="Catalogue seed (same seed, same marketplace).")] = 1,
    listings: Annotated[int, typer.Option(min=1, help="Number of gigs in the catalogue.")] = 600,
    block_rate: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share of requests answered by a block page.")
    ] = 0.0,
    step: Annotated[int, typer.Option(min=0, help="Catalogue step: edits, removals and restorations over time.")] = 0,
    faults: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Share of page requests answered with a fault (429, hang, ...).")
    ] = 0.0,
    fault_kinds: Annotated[
        str | None, typer.Option(help="Comma-separated fault kinds (default: all; see testbed.faults).")
    ] = None,
    port_file: Annotated[Path | None, typer.Option(help="Write the bound port here once listening.")] = None,
) -> None:
    """Serve a Fiverr-shaped marketplace on 127.0.0.1 until interrupted (Fiverr at /, the other marketplaces
    at /freelancer, /seoclerks, /legiit, /peopleperhour: point `gigscan crawl --mirror` at it)."""
    from testbed.faults import Faults
    from testbed.server import run

    try:
        injector = Faults(faults, seed, Faults.parse_kinds(fault_kinds)) if faults else None
    except ValueError as exc:
        fail(str(exc))
    try:
        run(host="127.0.0.1", port=port, seed=seed, listings=listings, block_rate=block_rate, step=step,
            port_file=port_file, faults=injector, on_ready=announce)
    except OSError as exc:
        fail(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}")


def announce(server: Any) -> None:
    """The address the testbed really listens on (``--port 0`` picks one), as soon as it does."""
    console.print(f"testbed serving at {server.url} (Ctrl-C to stop)", highlight=False)
    sys.stdout.flush()
