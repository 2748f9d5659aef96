"""Places: shelters, hospitals and police stations, the gazetteer of areas, and their import."""

from actions.places.gazetteer import Area, AreaMatch, Gazetteer, default_gazetteer, load_gazetteer
from actions.places.geo import Point, distance_m, format_distance, map_link
from actions.places.importer import (
    PlaceImportError,
    RowError,
    place_files,
    read_places,
    read_places_text,
)
from actions.places.records import PlaceRecord
from actions.places.repository import (
    ImportSummary,
    NearbyPlace,
    count_places,
    nearest_places,
    upsert_places,
)
from actions.places.search import PlacePage, place_by_id, search_places

__all__ = [
    "Area",
    "AreaMatch",
    "Gazetteer",
    "ImportSummary",
    "NearbyPlace",
    "PlaceImportError",
    "PlacePage",
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
    "place_by_id",
    "place_files",
    "read_places",
    "read_places_text",
    "search_places",
    "upsert_places",
]
