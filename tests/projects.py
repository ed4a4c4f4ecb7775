"""Small demo projects for the flow tests (imported by name: pyproject puts tests/ on the path)."""

from __future__ import annotations

import os
import subprocess
import sys

from forewarn.flows import write_demo_project

#: A demo world small enough for end-to-end tests: 40 regions in 4 countries, 2012-2020.
SMALL = dict(n_regions=40, n_countries=4, start_year=2012, end_year=2020)


def small_demo(folder):
    """The demo project on a small world, with light model settings so tests stay quick."""
    path = write_demo_project(folder, **SMALL)
    text = path.read_text().replace("max_iter = 100\nn_bootstrap = 10",
                                    "max_iter = 40\nn_bootstrap = 4")
    assert "n_bootstrap = 4" in text
    path.write_text(text)
    return path


def forewarn(*args, timeout=600, **kw):
    """The installed command in a fresh process (as a user runs it)."""
    env = {**os.environ, "FOREWARN_DEBUG": "1"}
    return subprocess.run([sys.executable, "-m", "forewarn", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, env=env, **kw)
