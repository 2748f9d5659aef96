"""SQL conditions "this row's point lies within that circle", the same on SQLite and PostgreSQL.

Neither backend needs a spatial extension: distances are computed on a local flat projection
around the circle's centre (plain arithmetic in SQL), which is accurate to metres over distances
the size of Phuket, so filters and pagination both happen in the database.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, and_
from sqlalchemy.orm import InstrumentedAttribute

from actions.places.geo import EARTH_RADIUS_M

if TYPE_CHECKING:
    # Only a type here: importing actions.alerts at run time would be circular (it needs places).
    from actions.alerts import Circle

_METRES_PER_DEGREE = math.radians(1) * EARTH_RADIUS_M


def within_circle(
    lat: InstrumentedAttribute[float] | InstrumentedAttribute[float | None],
    lon: InstrumentedAttribute[float] | InstrumentedAttribute[float | None],
    circle: Circle,
) -> ColumnElement[bool]:
    """Rows whose (`lat`, `lon`) lies within `circle`; rows without a point never match."""
    centre = circle.center
    lon_scale = _METRES_PER_DEGREE * math.cos(math.radians(centre.lat))
    # The bounding box first: it is cheap, uses the (kind, lat) index of places, and keeps the
    # projection away from points on the other side of the globe.
    dlat = circle.radius_m / _METRES_PER_DEGREE
    dlon = circle.radius_m / lon_scale if lon_scale > 1 else 180.0
    y = (lat - centre.lat) * _METRES_PER_DEGREE
    x = (lon - centre.lon) * lon_scale
    return and_(
        lat.isnot(None),
        lon.isnot(None),
        lat.between(centre.lat - dlat, centre.lat + dlat),
        lon.between(centre.lon - dlon, centre.lon + dlon),
        x * x + y * y <= circle.radius_m * circle.radius_m,
    )
