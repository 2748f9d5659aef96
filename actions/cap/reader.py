"""Turn a validated CAP 1.2 `<alert>` into what the alert service acts on.

One `<info>` per language (``th-TH``, ``en-US``, ...): texts are taken from each, everything else
(event, urgency, severity, certainty, times, areas) from the primary one: English, else Thai, else
the first in a language the bot speaks (at least one is required). Areas: `<polygon>` and
`<circle>` as given (a circle that is exactly a gazetteer zone becomes that zone); an `<area>`
without geometry is placed by its `<geocode>`s (TIS 1099 and ISO 3166-2 codes of provinces, and of
Phuket's districts and subdistricts: :mod:`actions.cap.thai_areas`), else by the names in its
`<areaDesc>` (provinces, gazetteer zones, or a name that mentions Phuket). Areas outside Phuket are
left out with a note; a message with no area in Phuket is refused (:class:`OutsidePhuket`).

Only ``Actual`` messages of ``Public`` scope are relayed (:class:`NotRelayed` otherwise).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from lxml import etree
from pydantic import ValidationError

from actions.alerts.draft import PHUKET_REGION, AlertDraft, AreaDraft, CircleDraft, field_errors
from actions.alerts.references import Reference, parse_cap_time, parse_references
from actions.alerts.service import AlertIdentity
from actions.alerts.vocabulary import Certainty, Hazard, MsgType, Severity, Urgency
from actions.cap.mapping import LANGUAGE_TAGS, hazard_of
from actions.cap.schema import CAP_NS, CapError
from actions.cap.thai_areas import Place, thai_areas
from actions.domain import DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES
from actions.places.gazetteer import Gazetteer, fold
from actions.places.geo import Point, distance_m

logger = logging.getLogger(__name__)

NS = {"cap": CAP_NS}
# A name that mentions the province ("Andaman coast of Phuket") is in it.
PROVINCE_WORDS = (fold("Phuket"), fold("ภูเก็ต"))
# <areaDesc> often lists several places: "Patong, Karon และ Kata".
AREA_SEPARATORS = re.compile(r"\s*(?:[,;/、，]|\band\b|และ)\s*")
# A circle this close to a zone's own extent is that zone (our own exports name zones this way).
SAME_CENTRE_M = 25.0
SAME_RADIUS_M = 5.0


class NotRelayed(CapError):
    """A valid message that is not for the public: a Test, an Exercise, a restricted scope, an Ack."""


class OutsidePhuket(CapError):
    """Every area of the message lies outside Phuket."""


@dataclass(frozen=True, slots=True)
class CapMessage:
    """A CAP message we act on: an Alert or Update with its draft, or a Cancel (draft None)."""

    msg_type: MsgType
    identity: AlertIdentity
    agency: str
    draft: AlertDraft | None
    # What was left out, for the operator: unsupported languages, geocodes, unplaced areas.
    notes: list[str] = field(default_factory=list)

    @property
    def references(self) -> list[Reference]:
        return self.identity.references


def _text(element: etree._Element, name: str) -> str | None:
    value = element.findtext(f"cap:{name}", namespaces=NS)
    return value.strip() if value and value.strip() else None


def _language(info: etree._Element) -> str:
    """``th-TH`` → ``th``; CAP's default is ``en-US``."""
    return (_text(info, "language") or "en-US").split("-")[0].lower()


def _where(element: etree._Element) -> str:
    return f"line {element.sourceline}"


def _parse_points(text: str, element: etree._Element) -> list[tuple[float, float]]:
    points = []
    for pair in text.split():
        try:
            lat_text, lon_text = pair.split(",")
            point = Point(float(lat_text), float(lon_text))
        except ValueError as exc:
            raise CapError(
                [f"{_where(element)}: <{etree.QName(element).localname}> {pair!r} is not 'lat,lon' ({exc})"]
            ) from exc
        points.append((point.lat, point.lon))
    return points


def _parse_circle(text: str, element: etree._Element) -> CircleDraft:
    centre, _, radius = text.strip().partition(" ")
    points = _parse_points(centre, element)
    try:
        radius_km = float(radius)
    except ValueError:
        radius_km = -1.0
    if len(points) != 1 or not 0 < radius_km <= 500:
        raise CapError(
            [f"{_where(element)}: <circle> {text!r} is not 'lat,lon radius_km' (0 < radius ≤ 500)"]
        )
    [(lat, lon)] = points
    return CircleDraft(lat=lat, lon=lon, radius_m=radius_km * 1000)


def _zone_of_circle(circle: CircleDraft, names: list[str], gazetteer: Gazetteer) -> str | None:
    for name in names:
        zone = gazetteer.lookup(name)
        if (
            zone is not None
            and distance_m(zone.point, Point(circle.lat, circle.lon)) <= SAME_CENTRE_M
            and abs(zone.radius_m - circle.radius_m) <= SAME_RADIUS_M
        ):
            return zone.id
    return None


@dataclass(slots=True)
class _Placement:
    """What the <area>s of an <info> come to: places in Phuket, and the places outside it."""

    zones: list[str] = field(default_factory=list)
    circles: list[CircleDraft] = field(default_factory=list)
    polygons: list[list[tuple[float, float]]] = field(default_factory=list)
    whole_province: bool = False
    outside: list[str] = field(default_factory=list)

    @property
    def placed(self) -> bool:
        return bool(self.zones or self.circles or self.polygons or self.whole_province)

    def add(self, place: Place) -> None:
        if place.province is not thai_areas().phuket:
            self.outside.append(place.label)
        elif place.zones:
            self.zones.extend(place.zones)
        else:
            self.whole_province = True


def _near_phuket(shape: CircleDraft | list[tuple[float, float]], gazetteer: Gazetteer) -> bool:
    area = AreaDraft(circles=[shape]) if isinstance(shape, CircleDraft) else AreaDraft(polygons=[shape])
    return area.to_area().touches(PHUKET_REGION, gazetteer)


def _place_shapes(
    area: etree._Element, names: list[str], gazetteer: Gazetteer, placement: _Placement
) -> bool:
    """Polygons and circles as given (those far from Phuket are outside); whether there were any."""
    description = _text(area, "areaDesc") or ""
    shapes = area.findall("cap:polygon", NS) + area.findall("cap:circle", NS)
    for element in shapes:
        if etree.QName(element).localname == "polygon":
            polygon = _parse_points(element.text or "", element)
            if _near_phuket(polygon, gazetteer):
                placement.polygons.append(polygon)
            else:
                placement.outside.append(f"the <polygon> of {description!r}")
            continue
        circle = _parse_circle(element.text or "", element)
        if zone := _zone_of_circle(circle, names, gazetteer):
            placement.zones.append(zone)
        elif _near_phuket(circle, gazetteer):
            placement.circles.append(circle)
        else:
            placement.outside.append(f"the <circle> of {description!r}")
    return bool(shapes)


def _place_geocodes(area: etree._Element, placement: _Placement, notes: list[str]) -> bool:
    """Provinces, districts and subdistricts named by TIS 1099 or ISO 3166-2 codes; whether any was."""
    description = _text(area, "areaDesc") or ""
    known = False
    for geocode in area.findall("cap:geocode", NS):
        value_name, value = _text(geocode, "valueName") or "", _text(geocode, "value") or ""
        place = thai_areas().by_geocode(value_name, value)
        if place is None:
            logger.info("CAP area %r: geocode %s=%s not known; ignored", description, value_name, value)
            notes.append(f"<geocode> {value_name}={value} in area {description!r} is not a code we know")
            continue
        known = True
        placement.add(place)
    return known


def _place_names(
    description: str, names: list[str], gazetteer: Gazetteer, placement: _Placement, notes: list[str]
) -> None:
    for name in names:
        if (province := thai_areas().province_named(name)) is not None:
            placement.add(Place(province, province.en))
        elif (zone_area := gazetteer.lookup(name)) is not None:
            placement.zones.append(zone_area.id)
        elif any(word in fold(name) for word in PROVINCE_WORDS):
            # "Andaman coast of Phuket" names no zone but is in Phuket: warn all of it.
            placement.whole_province = True
            notes.append(f"area {name!r} taken as all of Phuket")
        else:
            logger.info("CAP area %r: %r is no place we know; ignored", description, name)
            notes.append(f"area {name!r} matches no Phuket zone; ignored")


def _read_areas(info: etree._Element, gazetteer: Gazetteer, notes: list[str]) -> AreaDraft:
    """Each <area> by its shapes, else its geocodes, else the names in its <areaDesc>.

    Raises:
        OutsidePhuket: every area lies in another province or far from Phuket.
        CapError: no area could be placed at all.
    """
    placement = _Placement()
    for area in info.findall("cap:area", NS):
        description = _text(area, "areaDesc") or ""
        names = [name for name in AREA_SEPARATORS.split(description) if name]
        if _place_shapes(area, names, gazetteer, placement) or _place_geocodes(area, placement, notes):
            continue
        _place_names(description, names, gazetteer, placement, notes)
    outside = list(dict.fromkeys(placement.outside))
    if not placement.placed:
        if outside:
            raise OutsidePhuket([f"{_where(info)}: the alert is for {', '.join(outside)}: outside Phuket"])
        raise CapError(
            [
                f"{_where(info)}: no <area> could be placed in Phuket: give a <polygon> or <circle>, "
                "a <geocode> (TIS 1099 such as 83 or 830202, or ISO 3166-2 TH-83), or an <areaDesc> "
                "naming Phuket or a place in it (Patong, Kata, Phuket Town, ...)"
            ]
        )
    for place in outside:
        logger.info("CAP area outside Phuket ignored: %s", place)
        notes.append(f"{place} is outside Phuket; ignored")
    if placement.whole_province:
        # One <area> is the whole province: every other area lies inside it.
        return AreaDraft(all_phuket=True)
    return AreaDraft(
        zones=list(dict.fromkeys(placement.zones)), circles=placement.circles, polygons=placement.polygons
    )


def _infos_by_language(root: etree._Element, notes: list[str]) -> dict[str, etree._Element]:
    infos: dict[str, etree._Element] = {}
    for info in root.findall("cap:info", NS):
        language = _language(info)
        if language not in SUPPORTED_LANGUAGES:
            logger.info("CAP <info> in %s ignored: not a supported language", _text(info, "language"))
            notes.append(f"<info> in {_text(info, 'language')} ignored: the bot does not speak it")
        elif language in infos:
            notes.append(f"second <info> in {language} ({_where(info)}) ignored")
        else:
            infos[language] = info
    return infos


# Whose <info> gives the event, urgency, times and areas when several languages are given.
PRIMARY_LANGUAGES = (DEFAULT_LANGUAGE, "th")


def _primary(infos: dict[str, etree._Element]) -> etree._Element | None:
    for language in PRIMARY_LANGUAGES:
        if language in infos:
            return infos[language]
    return next(iter(infos.values()), None)


def _hazard(primary: etree._Element, infos: dict[str, etree._Element]) -> Hazard:
    """The hazard named by the primary <info>'s event, else by another language's event."""
    categories = [c.text or "" for c in primary.findall("cap:category", NS)]
    hazard = hazard_of(_text(primary, "event") or "", categories)
    for info in infos.values():
        if hazard != Hazard.OTHER:
            break
        hazard = hazard_of(_text(info, "event") or "", categories)
    return hazard


def _draft(infos: dict[str, etree._Element], gazetteer: Gazetteer, notes: list[str]) -> AlertDraft:
    primary = _primary(infos)
    if primary is None:
        raise CapError(
            [
                "an <info> in a language the bot speaks is required: "
                + ", ".join(LANGUAGE_TAGS[language] for language in SUPPORTED_LANGUAGES)
            ]
        )
    headline: dict[str, str] = {}
    instruction: dict[str, str] = {}
    description: dict[str, str] = {}
    problems = []
    for language, info in infos.items():
        event = _text(info, "event") or ""
        # A feed without <instruction> still says what to do in its <description>.
        said = _text(info, "instruction") or _text(info, "description")
        if said is None:
            problems.append(
                f"{_where(info)}: the {language} <info> has neither <instruction> nor <description>"
            )
            continue
        headline[language] = _text(info, "headline") or event
        instruction[language] = said
        if (text := _text(info, "description")) and text != said:
            description[language] = text
    if problems:
        raise CapError(problems)
    effective = _text(primary, "effective") or _text(primary, "onset")
    expires = _text(primary, "expires")
    try:
        return AlertDraft(
            hazard=_hazard(primary, infos),
            # The schema has checked these against the CAP value lists.
            severity=Severity(_text(primary, "severity") or "Unknown"),
            urgency=Urgency(_text(primary, "urgency") or "Unknown"),
            certainty=Certainty(_text(primary, "certainty") or "Unknown"),
            area=_read_areas(primary, gazetteer, notes),
            headline=headline,
            instruction=instruction,
            description=description,
            effective=parse_cap_time(effective) if effective else None,
            expires=parse_cap_time(expires) if expires else None,
        )
    except ValidationError as exc:
        raise CapError([f"<info>: {error.msg}" for error in field_errors(exc.errors())]) from exc


def read_cap(root: etree._Element, gazetteer: Gazetteer) -> CapMessage:
    """The message a schema-valid `<alert>` carries.

    Only ``Actual`` messages of ``Public`` scope are relayed: tests, exercises and restricted
    messages must never reach tourists.

    Raises:
        NotRelayed: a Test, Exercise, System or Draft message, a restricted scope, an Ack or Error.
        OutsidePhuket: every area of the message lies outside Phuket.
        CapError: content that cannot become an alert.
    """
    status, scope, msg_type = _text(root, "status"), _text(root, "scope"), _text(root, "msgType")
    if status != "Actual":
        raise NotRelayed([f"only <status>Actual</status> messages are relayed, not {status}"])
    if scope != "Public":
        raise NotRelayed([f"only <scope>Public</scope> messages are relayed, not {scope}"])
    if msg_type not in {m.value for m in MsgType}:
        raise NotRelayed([f"<msgType>{msg_type}</msgType> carries no warning; send Alert, Update or Cancel"])
    identifier, sender = _text(root, "identifier") or "", _text(root, "sender") or ""
    for name, value in (("identifier", identifier), ("sender", sender)):
        # CAP 1.2 §3.2.1: no spaces, commas or restricted characters (they split <references>).
        if re.search(r"[\s,<&]", value):
            raise CapError([f"<{name}> {value!r} must not contain spaces, commas, '<' or '&'"])
    try:
        references = parse_references(_text(root, "references"))
    except ValueError as exc:
        raise CapError([f"<references>: {exc}"]) from exc
    if msg_type != MsgType.ALERT and not references:
        raise CapError([f"a {msg_type} needs <references> naming the alert it {msg_type.lower()}s"])
    notes: list[str] = []
    infos = _infos_by_language(root, notes)
    draft = None if msg_type == MsgType.CANCEL else _draft(infos, gazetteer, notes)
    primary = _primary(infos)
    agency = (_text(primary, "senderName") if primary is not None else None) or sender
    identity = AlertIdentity(
        sender=sender,
        identifier=identifier,
        sent=parse_cap_time(_text(root, "sent") or ""),
        references=references,
    )
    return CapMessage(MsgType(msg_type), identity, agency, draft, notes)
