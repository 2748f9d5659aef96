"""Where an alert applies: named zones of the gazetteer, a circle, or a polygon.

Everything is compared as circles and polygons on a local flat projection, which is accurate to
metres over an island the size of Phuket.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from actions.places.gazetteer import Gazetteer
from actions.places.geo import EARTH_RADIUS_M, Point, distance_m


@dataclass(frozen=True, slots=True)
class Circle:
    center: Point
    radius_m: float


def _to_xy(point: Point, origin: Point) -> tuple[float, float]:
    x = math.radians(point.lon - origin.lon) * EARTH_RADIUS_M * math.cos(math.radians(origin.lat))
    y = math.radians(point.lat - origin.lat) * EARTH_RADIUS_M
    return x, y


def _inside(polygon: list[tuple[float, float]], x: float, y: float) -> bool:
    inside = False
    for (x1, y1), (x2, y2) in zip(polygon, polygon[1:] + polygon[:1], strict=True):
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


def _segment_distance(p: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
    (px, py), (ax, ay), (bx, by) = p, a, b
    dx, dy = bx - ax, by - ay
    length = dx * dx + dy * dy
    t = 0.0 if length == 0 else max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length))
    return math.hypot(px - (ax + t * dx), py - (ay + t * dy))


def polygon_touches_circle(polygon: list[Point], circle: Circle) -> bool:
    if len(polygon) < 3:
        return False
    xy = [_to_xy(p, circle.center) for p in polygon]
    if _inside(xy, 0.0, 0.0):
        return True
    edges = zip(xy, xy[1:] + xy[:1], strict=True)
    return any(_segment_distance((0.0, 0.0), a, b) <= circle.radius_m for a, b in edges)


@dataclass(frozen=True, slots=True)
class AlertArea:
    zones: tuple[str, ...] = ()
    circles: tuple[Circle, ...] = ()
    polygons: tuple[tuple[Point, ...], ...] = field(default=())

    @property
    def is_everywhere(self) -> bool:
        return not (self.zones or self.circles or self.polygons)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AlertArea:
        circles = []
        for circle in data.get("circles") or ([data["circle"]] if data.get("circle") else []):
            circles.append(Circle(Point(circle["lat"], circle["lon"]), float(circle["radius_m"])))
        polygons = []
        for polygon in data.get("polygons") or ([data["polygon"]] if data.get("polygon") else []):
            polygons.append(tuple(Point(lat, lon) for lat, lon in polygon))
        return cls(tuple(data.get("zones") or ()), tuple(circles), tuple(polygons))

    def to_json(self) -> dict[str, Any]:
        return {
            "zones": list(self.zones),
            "circles": [
                {"lat": c.center.lat, "lon": c.center.lon, "radius_m": c.radius_m} for c in self.circles
            ],
            "polygons": [[[p.lat, p.lon] for p in polygon] for polygon in self.polygons],
        }

    def touches(self, target: Circle, gazetteer: Gazetteer) -> bool:
        """Whether this area and the target circle (a user's point or subscription) overlap."""
        if self.is_everywhere:
            return True
        for zone in self.zones:
            area = gazetteer.get(zone)
            if area and distance_m(area.point, target.center) <= area.radius_m + target.radius_m:
                return True
        for circle in self.circles:
            if distance_m(circle.center, target.center) <= circle.radius_m + target.radius_m:
                return True
        return any(polygon_touches_circle(list(polygon), target) for polygon in self.polygons)
