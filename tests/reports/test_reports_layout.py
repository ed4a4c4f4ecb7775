"""Names on maps placed by one rule (the report's SVG map and the slide maps): at the anchor, or
moved a line or half a width while still inside their area, never overlapping, never off the map."""

import shapely

from forewarn.reports._layout import (Label, anchor, largest_first, name_size, place_labels,
                                      visible)

FRAME = (0.0, 0.0, 100.0, 100.0)


def _label(area, width=20.0, height=6.0):
    x, y = anchor(area)
    return Label(area, (x - width / 2, y - height / 2, x + width / 2, y + height / 2))


def test_a_name_that_fits_stays_on_its_anchor():
    area = shapely.box(10, 10, 60, 60)
    assert place_labels([_label(area)], FRAME) == [(0.0, 0.0)]
    assert shapely.contains_xy(area, *anchor(area))


def test_a_colliding_name_moves_up_then_down_then_sideways_inside_its_area():
    area = shapely.box(10, 10, 60, 60)
    taken = []
    shifts = place_labels([_label(area)] * 4, FRAME, taken)
    assert shifts == [(0.0, 0.0), (0.0, 6.0), (0.0, -6.0), None]
    for i, a in enumerate(taken):
        for b in taken[i + 1:]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3])
    # A tall name to the right blocks the anchor, the line above and the line below: half the
    # width to the left is free.
    x, y = anchor(area)
    assert place_labels([_label(area)], FRAME, [(x + 1, y - 20, x + 12, y + 20)]) == \
        [(-10.0, 0.0)]
    assert place_labels([_label(area)], FRAME, [(x - 12, y - 20, x - 1, y + 20)]) == \
        [(10.0, 0.0)]


def test_a_name_never_moves_off_its_area_or_past_the_map():
    narrow = shapely.box(40, 10, 42, 90)   # a thin strip: moving sideways would leave it
    blocker = [(25.0, 45.0, 75.0, 55.0), (25.0, 51.0, 75.0, 61.0), (25.0, 39.0, 75.0, 49.0)]
    assert place_labels([_label(narrow)], FRAME, list(blocker)) == [None]
    corner = shapely.box(0, 0, 4, 4)       # its name would reach past the left edge
    assert place_labels([_label(corner)], FRAME) == [None]


def test_the_largest_areas_are_named_first_and_specks_left_out():
    areas = [shapely.box(0, 0, 2, 2), shapely.box(0, 0, 10, 10), shapely.Polygon(),
             shapely.box(0, 0, 10, 10)]
    assert largest_first(areas, smallest=9.0) == ([1, 3], 2)


def test_names_shrink_beyond_twelve_parents():
    assert name_size(12, 20.0, 12.0) == 20.0
    assert name_size(24, 16.0, 9.0) == 16 * (12 / 24) ** 0.75
    assert name_size(500, 16.0, 9.0) == 9.0


def test_a_name_sits_on_the_largest_part_of_its_area():
    island_first = shapely.MultiPolygon([shapely.box(90, 90, 91, 91), shapely.box(0, 0, 50, 50)])
    x, y = anchor(island_first)
    assert 0 < x < 50 and 0 < y < 50


def test_an_invalid_boundary_is_clipped_not_refused():
    bowtie = shapely.Polygon([(0, 0), (10, 10), (10, 0), (0, 10)])  # self-intersecting
    assert not bowtie.is_valid
    part = visible([bowtie, shapely.box(90, 90, 120, 120)], FRAME)
    assert part[0].area == 50.0 and part[1].equals(shapely.box(90, 90, 100, 100))
