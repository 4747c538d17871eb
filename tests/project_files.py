"""The repository as files: its files copied elsewhere (what a fresh clone holds)
and the package folders pyproject.toml's package-dir mapping installs."""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def pyproject() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def package_folders() -> dict[str, Path]:
    """Every folder with an ``__init__.py`` under the package-dir mapping, by the
    dotted name it installs as (found by walking the folders, not from the list)."""
    mapping = pyproject()["tool"]["setuptools"]["package-dir"]
    found = {}
    for top, folder in mapping.items():
        for init in sorted((ROOT / folder).rglob("__init__.py")):
            rel = init.parent.relative_to(ROOT / folder)
            if "__pycache__" in rel.parts:
                continue
            found[".".join([top, *rel.parts])] = init.parent
    return found


def copy_tracked_files(dest: Path) -> Path:
    """The repository's files as they are in the working tree, tracked or new but not
    ignored, copied to ``dest``: what a fresh clone of the next commit holds, nothing
    built (``.venv``, ``build/``, ``data/``)."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], cwd=ROOT, capture_output=True,
                            check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        src = ROOT / name
        if src.is_file():  # a tracked file deleted in the working tree is not copied
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest
