"""`--ray [ADDRESS]` for the commands that can run on Ray actors (`batch`, `eval`).

One meaning for both: `--ray local` starts a private Ray for this command, bare `--ray` joins
the Ray head running on this machine (or starts a private one when none answers), and
`--ray ADDRESS` joins that cluster.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..runners.batch.ray_cluster import RayCluster

__all__ = ["actor_import_path", "add_ray_option", "ray_cluster"]

_HERE = ""
"""`--ray` with no address: `RayCluster(address=None)`."""


def add_ray_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--ray",
        nargs="?",
        const=_HERE,
        metavar="ADDRESS",
        help="run on Ray actors (needs drusilla[ray]): a cluster address (auto, host:6379, "
        "ray://head:10001); 'local' to start a private Ray; nothing for the Ray head running "
        "on this machine, or a private Ray when none does",
    )


def ray_cluster(args: argparse.Namespace) -> RayCluster | None:
    """The cluster `--ray` names, or None without `--ray`."""
    if args.ray is None:
        return None
    from ..runners.batch.ray_cluster import RayCluster

    return RayCluster(address=args.ray or None)


def actor_import_path(label: str) -> str:
    """The target as Ray actors can import it: a file by its absolute path."""
    from .target import split_target

    source, attribute = split_target(label)
    if source.endswith(".py") or Path(source).is_file():
        source = str(Path(source).resolve())
    return f"{source}:{attribute}" if attribute else source
