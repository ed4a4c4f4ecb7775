"""Slide maps: the expected files at slide size, legible classes, the change map's empty case,
the outcome named, parent names that never overlap, a footer inside the page, line widths."""

from __future__ import annotations

import dataclasses
import itertools
import logging
import re

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.image import imread

from forewarn.reports import _maps, render_report, write_maps
from forewarn.reports._common import CAVEAT, class_legend, source_line
from forewarn.reports._slides import RC

from .conftest import WORLD_PARENTS, build_report_data


@pytest.fixture(scope="module")
def one_horizon(small_world):
    return build_report_data(small_world, horizons=(3,))


def test_maps_for_the_area_each_parent_and_the_change(one_horizon, tmp_path):
    files = write_maps(one_horizon, tmp_path / "maps")
    stems = ["risk_3m_all", "risk_3m_XA", "risk_3m_XB", "risk_3m_XC", "change_3m_all"]
    assert [f.name for f in files] == [f"{s}.{e}" for s in stems for e in ("png", "pdf")]
    for f in files:
        assert f.stat().st_size > 20_000, f
        if f.suffix == ".pdf":
            assert f.read_bytes().startswith(b"%PDF")
    image = imread(files[0])
    assert image.shape[:2] == (1125, 2000)  # 16:9 at 150 dpi
    # The demo band across the top is red, and classes are drawn in their colours.
    assert np.allclose(image[10, 1000, :3], (0xb2 / 255, 0x18 / 255, 0x2b / 255), atol=0.02)


def test_first_run_change_map_says_so(small_world, tmp_path, caplog):
    data = build_report_data(small_world, previous=False, horizons=(3,))
    with caplog.at_level(logging.INFO, logger="forewarn.reports._maps"):
        files = write_maps(data, tmp_path, formats=("svg",))
    change = tmp_path / "change_3m_all.svg"
    assert change in files
    assert "This is the first run" in change.read_text(encoding="utf-8")
    assert "no previous run to compare with; the map says so" in caplog.text


def test_map_text_keeps_dollar_signs_literal(one_horizon, tmp_path):
    # Unescaped, matplotlib would set "5 to " as mathematics.
    data = dataclasses.replace(one_horizon, project_name="Costs $5 to $10 more")
    files = write_maps(data, tmp_path, formats=("svg",))
    assert "Costs $5 to $10 more" in (tmp_path / "risk_3m_all.svg").read_text(encoding="utf-8")
    assert len(files) == 5


def test_unknown_format_is_refused(one_horizon, tmp_path):
    with pytest.raises(ValueError, match=r"unknown format\(s\) \['jpg'\]; choose from"):
        write_maps(one_horizon, tmp_path, formats=("png", "jpg"))


def test_class_legend_states_where_each_class_starts():
    breaks = (0.05, 0.15, 0.30)
    assert class_legend(breaks) == ["low: under 5%", "medium: 5% to under 15%",
                                    "high: 15% to under 30%", "very high: 30% or more"]


def test_regions_without_parents_get_the_area_and_change_maps(one_horizon, tmp_path):
    data = dataclasses.replace(one_horizon, parents=None,
                               regions=one_horizon.regions.assign(parent_id=None),
                               scores=one_horizon.scores.assign(parent_id=None))
    files = write_maps(data, tmp_path, formats=("png",))
    assert [f.name for f in files] == ["risk_3m_all.png", "change_3m_all.png"]


def _first_map(data):
    """The whole-area risk map of the first horizon, as write_maps builds it, drawn once."""
    with matplotlib.rc_context(RC):
        _, fig = next(_maps._figures(data))
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
    return fig, canvas.get_renderer()


@pytest.fixture(scope="module")
def world_map(world_data):
    return _first_map(world_data)


@pytest.fixture(scope="module")
def demo_map(one_horizon):
    return _first_map(one_horizon)


def _inside(box, frame) -> bool:
    return (frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0
            and box.y1 <= frame.y1)


def _text(fig, part):
    """The figure's text that holds ``part``."""
    return next(t for t in fig.texts if part in t.get_text())


def test_titles_and_legend_name_the_outcome(world_map, demo_map):
    for (fig, _), title, legend in (
            (world_map, "Risk of a fall to Watch List or Tier 3 within 12 months",
             "Risk class: chance of a fall to Watch List or Tier 3 (regions)"),
            (demo_map, "Risk of a trafficking surge within 3 months",
             "Risk class: chance of a trafficking surge (regions)")):
        assert _text(fig, "Risk of").get_text() == title
        assert " ".join(fig.axes[1].get_legend().get_title().get_text().split()) == legend


def test_change_map_names_the_outcome(one_horizon, tmp_path):
    data = dataclasses.replace(one_horizon, outcome_short="conflict onset")
    write_maps(data, tmp_path, formats=("svg",))
    text = " ".join(re.sub(r"<[^>]+>", " ", (tmp_path / "change_3m_all.svg").read_text(
        encoding="utf-8")).split())
    assert "Red: the chance of a conflict onset rose" in text
    assert "Risk of a conflict onset within 3 months" in (tmp_path / "risk_3m_XA.svg").read_text(
        encoding="utf-8")


def test_parent_names_never_overlap_and_stay_on_the_map(world_map):
    fig, renderer = world_map
    ax = fig.axes[0]
    names = [t for t in ax.texts if t.get_text() in WORLD_PARENTS]
    boxes = [t.get_window_extent(renderer) for t in names]
    assert len(names) >= 8, "too few names for the test to mean anything"
    for (a, box_a), (b, box_b) in itertools.combinations(zip(names, boxes), 2):
        assert not box_a.overlaps(box_b), (a.get_text(), b.get_text())
    assert all(_inside(b, ax.bbox) for b in boxes)
    # 24 parents: smaller type; Micronesia, a parent of specks, is not named at all.
    sizes = {t.get_fontsize() for t in names}
    assert len(sizes) == 1 and sizes.pop() == pytest.approx(16 * (12 / 24) ** 0.75)
    assert "Micronesia" not in {t.get_text() for t in names}
    left_out = len(WORLD_PARENTS) - len(names)
    assert _text(fig, f"{left_out} parent-region name").get_text() == (
        f"{left_out} parent-region name(s) left out where they would overlap or the area is "
        "too small.")


def test_demo_names_every_parent_at_full_size(demo_map):
    fig, _ = demo_map
    names = {t.get_text(): t.get_fontsize() for t in fig.axes[0].texts}
    assert set(names) == {"Quipoland", "Nutomorova", "Banneneea"}
    assert set(names.values()) == {16}
    assert not [t for t in fig.texts if "left out" in t.get_text()]


def test_footer_wraps_inside_the_page_above_the_caveat(world_map):
    fig, renderer = world_map
    source, caveat = _text(fig, "Source:"), _text(fig, CAVEAT)
    lines = source.get_text().split("\n")
    assert len(lines) == 3 and lines[-1].endswith("\u2026 (all sources in the report)")
    for t in fig.texts:
        assert _inside(t.get_window_extent(renderer), fig.bbox), t.get_text()[:40]
    src, cav = source.get_window_extent(renderer), caveat.get_window_extent(renderer)
    note = _text(fig, "left out").get_window_extent(renderer)
    # Bottom to top: caveat, source, the note, the map; none touching the next.
    assert cav.y1 < src.y0 and src.y1 < note.y0 and note.y1 < fig.axes[0].bbox.y0


def test_short_footer_keeps_the_demo_layout(demo_map):
    fig, _ = demo_map
    assert "\n" not in _text(fig, "Source:").get_text()
    assert fig.axes[0].get_position().y0 == pytest.approx(0.13)


def test_line_widths_follow_the_size_of_regions(world_map, demo_map):
    def widths(fig):
        ax = fig.axes[0]  # regions drawn first, parent outlines last
        return ax.collections[0].get_linewidths()[0], ax.collections[-1].get_linewidths()[0]

    world_regions, world_parents = widths(world_map[0])
    assert world_regions <= 0.3 and world_parents <= 0.6
    assert widths(demo_map[0]) == (pytest.approx(0.7), pytest.approx(2.2))


def test_the_demo_stamp_sits_beside_the_title_never_over_the_regions(demo_map):
    """A translucent stamp over the map read as risen risk on the change map and hid names."""
    fig, renderer = demo_map
    stamps = [t for t in fig.texts if t.get_text() == "DEMO DATA"]
    assert len(stamps) == 1
    stamp = stamps[0].get_bbox_patch().get_window_extent(renderer)
    for ax in fig.axes:
        assert not stamp.overlaps(ax.bbox)
    title = fig.texts[fig.texts.index(stamps[0]) + 1].get_window_extent(renderer)
    assert title.x1 < stamp.x0 and _inside(stamp, fig.bbox)
    assert stamps[0].get_alpha() in (None, 1)


def test_only_sources_that_feed_the_numbers_are_credited(one_horizon):
    """A catalogued source without a single observation (ACLED in the countries example) is not
    credited on the maps, and the report's source table says it was not used."""
    sources = pd.concat([pd.DataFrame([{"source": "ACLED", "licence": "ACLED terms",
                                        "indicators": "Political violence events",
                                        "latest_period": ""}]), one_horizon.sources],
                        ignore_index=True)
    data = dataclasses.replace(one_horizon, sources=sources)
    line = source_line(data)
    assert "ACLED" not in line and "forewarn demo world (synthetic)" in line
    html = render_report(data)
    assert "no observations (not used)" in html


def test_a_far_off_island_does_not_drag_a_parent_map(one_horizon):
    """Saint Helena must not pull Western Africa's map far south: a small region far outside
    its parent's other regions is left out of the view, and the map says so."""
    import shapely

    regions = one_horizon.regions.to_crs("EPSG:4326")
    xa = regions[regions["parent_id"] == "XA"]
    x0, y0, x1, y1 = xa.total_bounds
    island_at = (x0 + x1) / 2, y0 - 6 * (y1 - y0)
    island = regions.iloc[:1].copy()
    island.index = ["XA99"]
    island["name"] = "Far Isle"
    island["parent_id"] = "XA"
    island["geometry"] = [shapely.Point(island_at).buffer(0.002 * (x1 - x0))]
    regions = pd.concat([regions, island])
    data = dataclasses.replace(one_horizon, regions=regions)
    with matplotlib.rc_context(RC):
        fig = dict(_maps._figures(data))["risk_3m_XA"]
    ax = fig.axes[0]
    assert ax.get_ylim()[0] > island_at[1]
    assert ax.get_ylim()[0] <= y0
    note = _text(fig, "Outside the view").get_text()
    assert note.endswith("far-off island): Far Isle.") and "left out" not in note


def test_a_parent_without_any_score_gets_no_empty_slide(one_horizon, tmp_path, caplog):
    """Antarctica and the open ocean have no data: no zoomed map of grey regions."""
    in_xb = one_horizon.scores["parent_id"] == "XB"
    data = dataclasses.replace(one_horizon, scores=one_horizon.scores.assign(
        probability=one_horizon.scores["probability"].mask(in_xb)))
    with caplog.at_level(logging.INFO, logger="forewarn.reports._maps"):
        files = write_maps(data, tmp_path, formats=("svg",))
    assert [f.stem for f in files] == ["risk_3m_all", "risk_3m_XA", "risk_3m_XC",
                                       "change_3m_all"]
    assert "no map for parent region XB: none of its regions has a score" in caplog.text


def test_each_map_is_one_unit_of_work_with_the_same_files(one_horizon, tmp_path):
    """With a mapper (a Dask cluster's, in a flow), every map is drawn by one unit, from a
    ReportData without the tables maps never read, and the files are byte for byte those
    drawn in this process."""
    # (An SVG differs from any other save of it: matplotlib salts its ids at random.)
    here = write_maps(one_horizon, tmp_path / "here", formats=("png", "pdf"))
    calls = []

    def backwards(fn, pages, **shared):  # runs the units in another order, as workers may
        calls.append((list(pages), shared))
        return [fn(page, **shared) for page in pages[::-1]][::-1]

    spread = write_maps(one_horizon, tmp_path / "spread", formats=("png", "pdf"),
                        mapper=backwards)
    assert [f.name for f in spread] == [f.name for f in here]
    for a, b in zip(here, spread):
        assert a.read_bytes() == b.read_bytes(), a.name
    [(pages, shared)] = calls
    assert [str(p) for p in pages] == ["map risk_3m_all", "map risk_3m_XA", "map risk_3m_XB",
                                      "map risk_3m_XC", "map change_3m_all"]
    assert len(one_horizon.explanations) and not len(shared["data"].explanations)
    assert shared["data"].scores is one_horizon.scores


@pytest.mark.slow  # starts a worker process
def test_maps_shared_with_a_pool_process_are_the_same_files(one_horizon, tmp_path):
    """Without Dask, a run with two usable cores draws its maps in this process and a pool
    process at once (flows: ``Cluster.map(pooled=True)``): the files are those drawn here."""
    from functools import partial

    from forewarn.flows._cluster import Cluster

    here = write_maps(one_horizon, tmp_path / "here", formats=("png", "pdf"))
    cluster = Cluster(processes=2)
    pooled = write_maps(one_horizon, tmp_path / "pooled", formats=("png", "pdf"),
                        mapper=partial(cluster.map, label=str, pooled=True))
    assert [f.name for f in pooled] == [f.name for f in here]
    for a, b in zip(here, pooled):
        assert a.read_bytes() == b.read_bytes(), a.name
    assert [u for u, _ in cluster.ran_on] == [f"map {f.stem}" for f in here[::2]]
