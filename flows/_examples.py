"""`forewarn init DIR --example countries`: the real-countries example as a project folder."""

from __future__ import annotations

import dataclasses
import importlib.util
import shutil
import sys
from pathlib import Path

import forewarn
from forewarn.errors import InputError, Problem
from forewarn.flows._project import _empty_target, _staged

__all__ = ["EXAMPLES", "init_example", "example_folder", "default_data"]

#: Example name -> its folder in the forewarn repository and the config ``init`` points to.
EXAMPLES = {"countries": ("examples/countries", "current_origin.toml")}
_REPO = Path(forewarn.__file__).resolve().parents[1]
#: Where the project's shared public data sit beside a checkout (see docs/real-data.md).
_SHARED = _REPO.parent / "shared" / "data" / "real"


def example_folder(name: str) -> Path:
    """The example's folder in the repository checkout forewarn runs from.

    Raises
    ------
    forewarn.errors.InputError
        Unknown example, or forewarn was installed without the repository's ``examples/``.
    """
    if name not in EXAMPLES:
        raise InputError(Problem("init", f"unknown example {name!r}; examples: "
                                 f"{', '.join(EXAMPLES)}."))
    folder = _REPO / EXAMPLES[name][0]
    if not (folder / "build.py").is_file():
        raise InputError(Problem(folder, "the example is not here: it ships with the forewarn "
                                 "repository (examples/), not with an installed package. "
                                 "Run forewarn from a clone of the repository."))
    return folder


def default_data() -> Path | None:
    """The shared real-data folder beside the repository, when it is there."""
    return _SHARED if _SHARED.is_dir() else None


def _load_build(folder: Path):
    spec = importlib.util.spec_from_file_location(f"forewarn_example_{folder.name}",
                                                  folder / "build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look the module up while being made
    spec.loader.exec_module(module)
    return module


def init_example(directory, name: str = "countries", data=None, cache=None):
    """Write an example project on real data: its configs, catalogue, index and built inputs.

    Parameters
    ----------
    directory : path-like
        New (or empty) folder for the project.
    name : str
        Example name (see :data:`EXAMPLES`).
    data : path-like, optional
        A folder laid out like the project's ``shared/data/real``; default that folder beside
        the repository when present.
    cache : path-like, optional
        A ``forewarn fetch`` cache, for the sources the data folder lacks.

    Returns
    -------
    (pathlib.Path, object)
        The config to start with, and the example's build summary (``summary()`` lines).

    Raises
    ------
    forewarn.errors.InputError
        The folder is not empty, the example is not in this checkout, no data were given or
        found, or a source is missing (every one is named, with how to get it). Nothing is
        written then.
    """
    folder = example_folder(name)
    directory = _empty_target(directory)
    if data is None and cache is None:
        data = default_data()
        if data is None:
            raise InputError(Problem("init", f"no real data for the {name!r} example: pass "
                                     "--data (a folder laid out like shared/data/real) or "
                                     "--cache (after `forewarn fetch wgi wdi unhcr idmc ucdp_ged "
                                     "ucdp_acd tip_tiers glotip natural_earth`). "
                                     f"docs/real-data.md says where each file comes from; "
                                     f"looked for {_SHARED}."))
    build = _load_build(folder)
    with _staged(directory) as tmp:
        built = build.build_project(tmp / "data", data=data, cache=cache)
        for path in sorted(folder.glob("*.toml")) + [folder / "README.md", folder / ".gitignore"]:
            if path.is_file():
                shutil.copy(path, tmp / path.name)
    return directory / EXAMPLES[name][1], _moved(built, tmp, directory)


def _moved(built, old: Path, new: Path):
    """The build summary with its paths in the project folder rather than the staging one."""
    def move(value):
        if isinstance(value, Path) and value.is_relative_to(old):
            return new / value.relative_to(old)
        if isinstance(value, dict):
            return {k: move(v) for k, v in value.items()}
        return value
    return dataclasses.replace(built, **{f.name: move(getattr(built, f.name))
                                         for f in dataclasses.fields(built)})
