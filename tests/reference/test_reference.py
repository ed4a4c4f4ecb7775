"""Behaviour kept: a demo forecast gives the scores, explanations and report data stored before
the issue-15 redesign (``tests/reference/demo``, made by ``_reference.py`` from a demo run)."""
import json

import numpy as np
import pandas as pd
import pytest

from reference._reference import HERE, TABLES, report_data

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    """The embedded demo forecast, from its project as `forewarn init` writes it, published
    without map files (what is compared is the tables and the report's data, which the map
    files do not feed; drawing them is a third of the run)."""
    import forewarn

    project = forewarn.init(tmp_path_factory.mktemp("reference-project") / "demo")
    with open(project, "a", encoding="utf-8") as fh:
        fh.write('\n[report]\nmaps = "none"\n')
    return forewarn.run(project, out=tmp_path_factory.mktemp("reference-run")).run_dir


@pytest.mark.parametrize("name", TABLES)
def test_tables_match_the_stored_reference(demo_run, name):
    got = pd.read_parquet(demo_run / f"{name}.parquet")
    want = pd.read_parquet(HERE / f"{name}.parquet")
    assert list(got.columns) == list(want.columns)
    assert len(got) == len(want)
    for column in want.columns:
        if pd.api.types.is_float_dtype(want[column]):
            np.testing.assert_allclose(got[column].to_numpy(float), want[column].to_numpy(float),
                                       rtol=1e-9, atol=1e-12, equal_nan=True,
                                       err_msg=f"{name}.{column}")
        else:
            assert got[column].astype(str).tolist() == want[column].astype(str).tolist(), \
                f"{name}.{column}"


def test_report_data_matches_the_stored_reference(demo_run):
    want = json.loads((HERE / "report_data.json").read_text(encoding="utf-8"))
    assert report_data(demo_run / "report.html") == want
