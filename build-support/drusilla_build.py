"""setuptools' build backend, plus one thing for editable installs: type checkers see drusilla.

`src/` is the package `drusilla` (a `package-dir` mapping), so setuptools' editable install
resolves `import drusilla` with an import hook that mypy, pyright and IDEs cannot follow. This
backend adds a plain `.pth` path entry next to the hook: `build/typing/`, holding one symlink
`drusilla -> src`. Static tools read `.pth` path entries, and new modules in `src/` are seen
without reinstalling. At run time the same directory answers `import drusilla` first; the
hook still serves `drusilla.examples`.
"""

from __future__ import annotations

import base64
import hashlib
import os
import zipfile
from pathlib import Path
from typing import Any

from setuptools import build_meta as _setuptools
from setuptools.build_meta import *  # noqa: F403 (every other hook unchanged)

PTH_NAME = "__editable__.drusilla-typing.pth"


def build_editable(
    wheel_directory: str,
    config_settings: dict[str, Any] | None = None,
    metadata_directory: str | None = None,
) -> str:
    name = _setuptools.build_editable(wheel_directory, config_settings, metadata_directory)
    typing_dir = _link_package(Path.cwd())
    _add_to_wheel(Path(wheel_directory) / name, PTH_NAME, f"{typing_dir}\n".encode())
    return name


def _link_package(project: Path) -> Path:
    typing_dir = project / "build" / "typing"
    typing_dir.mkdir(parents=True, exist_ok=True)
    link = typing_dir / "drusilla"
    if link.is_symlink() or link.exists():
        link.unlink()
    os.symlink(project / "src", link, target_is_directory=True)
    return typing_dir


def _add_to_wheel(wheel: Path, name: str, data: bytes) -> None:
    """Add a file at the wheel's root and list it in RECORD (the wheel spec requires both)."""
    with zipfile.ZipFile(wheel) as source:
        entries = [(info, source.read(info)) for info in source.infolist()]
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as target:
        for info, content in entries:
            if info.filename.endswith(".dist-info/RECORD"):
                content += f"{name},sha256={digest},{len(data)}\n".encode()
            target.writestr(info, content)
        target.writestr(name, data)
