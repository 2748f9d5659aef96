from __future__ import annotations

from actions.alerts import AlertArea, Circle
from actions.places import Point, default_gazetteer

PATONG = Point(7.8960, 98.2955)
MAI_KHAO = Point(8.1300, 98.3000)


def test_an_area_with_nothing_named_covers_everywhere():
    assert AlertArea().touches(Circle(PATONG, 100), default_gazetteer())


def test_zones_from_the_gazetteer():
    area = AlertArea(zones=("patong",))
    assert area.touches(Circle(PATONG, 100), default_gazetteer())
    assert not area.touches(Circle(MAI_KHAO, 3000), default_gazetteer())


def test_circles_overlap_when_centres_are_closer_than_the_radii():
    area = AlertArea(circles=(Circle(Point(7.90, 98.30), 1000),))
    assert area.touches(Circle(Point(7.915, 98.30), 800), default_gazetteer())  # ~1.67 km apart
    assert not area.touches(Circle(Point(7.93, 98.30), 800), default_gazetteer())  # ~3.3 km apart


def test_polygons_contain_or_reach_the_circle():
    square = (Point(7.88, 98.28), Point(7.88, 98.31), Point(7.91, 98.31), Point(7.91, 98.28))
    area = AlertArea(polygons=(square,))
    assert area.touches(Circle(PATONG, 10), default_gazetteer())  # inside
    assert area.touches(Circle(Point(7.895, 98.315), 1000), default_gazetteer())  # 550 m east of an edge
    assert not area.touches(Circle(MAI_KHAO, 1000), default_gazetteer())


def test_json_round_trip():
    area = AlertArea(
        zones=("kata",),
        circles=(Circle(PATONG, 500),),
        polygons=((Point(7.8, 98.2), Point(7.8, 98.3), Point(7.9, 98.3)),),
    )
    assert AlertArea.from_json(area.to_json()) == area
