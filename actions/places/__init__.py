"""Places: shelters, hospitals and police stations, the gazetteer of areas, and their import."""

from actions.places.gazetteer import Area, AreaMatch, Gazetteer, default_gazetteer, load_gazetteer
from actions.places.geo import Point, distance_m, format_distance, map_link
from actions.places.importer import PlaceImportError, RowError, place_files, read_places
from actions.places.records import PlaceRecord
from actions.places.repository import (
    ImportSummary,
    NearbyPlace,
    count_places,
    nearest_places,
    upsert_places,
)

__all__ = [
    "Area",
    "AreaMatch",
    "Gazetteer",
    "ImportSummary",
    "NearbyPlace",
    "PlaceImportError",
    "PlaceRecord",
    "Point",
    "RowError",
    "count_places",
    "default_gazetteer",
    "distance_m",
    "format_distance",
    "load_gazetteer",
    "map_link",
    "nearest_places",
    "place_files",
    "read_places",
    "upsert_places",
]
