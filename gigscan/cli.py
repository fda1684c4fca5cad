"""The ``gigscan`` command: imports every command module so each registers itself on the shared app."""

from __future__ import annotations

from gigscan.app import app
from gigscan.commands import (  # noqa: F401  (registration by import)
    crawl,
    detect,
    distributed,
    evidence,
    labels,
    profile,
    review,
    schedule,
    serve,
    store,
    testbed,
)

__all__ = ["app"]


def main() -> None:
    app(prog_name="gigscan")  # also under `python -m gigscan`: usage lines and completion name `gigscan`


if __name__ == "__main__":
    main()
