"""Write alerts as CAP 1.2 `<alert>` documents and as Atom feeds of them.

Each alert becomes one `<info>` per language it has texts in, and only those: the words the bot
uses for the other languages (the standard instruction for the hazard) are ours, not the sender's,
so they are not put in the sender's message. A zone of the gazetteer becomes an `<area>` with the
zone's name and its extent as a `<circle>`, so that readers without our gazetteer still know where
it is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from lxml import etree

from actions.alerts.areas import AlertArea
from actions.alerts.presentation import text_in
from actions.alerts.references import Reference, cap_time, join_references, parse_references
from actions.alerts.service import cap_sent
from actions.alerts.vocabulary import AlertStatus, Hazard, MsgType
from actions.cap.mapping import HAZARD_CATEGORIES, LANGUAGE_TAGS
from actions.cap.schema import CAP_NS
from actions.db.models import Alert
from actions.domain import DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES
from actions.i18n import Translator
from actions.places.gazetteer import Gazetteer

ATOM_NS = "http://www.w3.org/2005/Atom"
CAP_CONTENT_TYPE = "application/cap+xml"
PROVINCE = {"th": "จังหวัดภูเก็ต"}
PROVINCE_DEFAULT = "Phuket Province"


def _add(parent: etree._Element, name: str, text: str | None, ns: str = CAP_NS) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ns}}}{name}")
    element.text = text
    return element


def _number(value: float) -> str:
    return repr(round(value, 6))


def _circle(lat: float, lon: float, radius_m: float) -> str:
    return f"{_number(lat)},{_number(lon)} {_number(radius_m / 1000)}"


def _areas(info: etree._Element, area: AlertArea, language: str, gazetteer: Gazetteer) -> None:
    province = PROVINCE.get(language, PROVINCE_DEFAULT)
    if area.is_everywhere:
        _add(_add(info, "area", None), "areaDesc", province)
        return
    for zone_id in area.zones:
        zone = gazetteer.get(zone_id)
        element = _add(info, "area", None)
        _add(element, "areaDesc", zone.name(language) if zone else zone_id)
        if zone:
            _add(element, "circle", _circle(zone.point.lat, zone.point.lon, zone.radius_m))
    if area.circles or area.polygons:
        element = _add(info, "area", None)
        _add(element, "areaDesc", province)
        for polygon in area.polygons:
            # CAP polygons are closed: the first point is repeated at the end.
            ring = [*polygon, polygon[0]]
            _add(element, "polygon", " ".join(f"{_number(p.lat)},{_number(p.lon)}" for p in ring))
        for circle in area.circles:
            _add(element, "circle", _circle(circle.center.lat, circle.center.lon, circle.radius_m))


def _info(
    root: etree._Element,
    alert: Alert,
    language: str,
    *,
    translator: Translator,
    gazetteer: Gazetteer,
    web: str | None,
) -> None:
    hazard = Hazard(alert.hazard) if alert.hazard in Hazard._value2member_map_ else Hazard.OTHER
    info = _add(root, "info", None)
    _add(info, "language", LANGUAGE_TAGS[language])
    _add(info, "category", HAZARD_CATEGORIES[hazard])
    _add(info, "event", translator(language, f"hazard.{hazard.value}"))
    _add(info, "urgency", alert.urgency)
    _add(info, "severity", alert.severity)
    _add(info, "certainty", alert.certainty)
    _add(info, "effective", cap_time(alert.effective))
    if alert.expires is not None:
        _add(info, "expires", cap_time(alert.expires))
    _add(info, "senderName", alert.agency)
    _add(info, "headline", alert.headline[language])
    if description := alert.description.get(language):
        _add(info, "description", description)
    if instruction := alert.instruction.get(language):
        _add(info, "instruction", instruction)
    if web:
        _add(info, "web", web)
    _areas(info, AlertArea.from_json(alert.area), language, gazetteer)


def alert_to_cap(
    alert: Alert, *, translator: Translator, gazetteer: Gazetteer, web: str | None = None
) -> etree._Element:
    """The CAP 1.2 `<alert>` of the alert's current version (a Cancel once it is cancelled)."""
    root = etree.Element(f"{{{CAP_NS}}}alert", nsmap={None: CAP_NS})
    references = parse_references(alert.references)
    if alert.status == AlertStatus.CANCELLED and alert.cancelled_at is not None:
        # The cancel is a message of its own that names the version it cancels.
        references.append(Reference(alert.sender, alert.identifier, cap_sent(alert)))
        identifier, sent, msg_type = f"{alert.identifier}.cancel", cap_time(alert.cancelled_at), "Cancel"
    else:
        identifier, sent = alert.identifier, cap_sent(alert)
        msg_type = alert.msg_type if alert.msg_type in {m.value for m in MsgType} else "Alert"
    _add(root, "identifier", identifier)
    _add(root, "sender", alert.sender)
    _add(root, "sent", sent)
    _add(root, "status", "Actual")
    _add(root, "msgType", msg_type)
    _add(root, "scope", "Public")
    if joined := join_references(references):
        _add(root, "references", joined)
    for language in SUPPORTED_LANGUAGES:
        if language in alert.headline:
            _info(root, alert, language, translator=translator, gazetteer=gazetteer, web=web)
    return root


def to_bytes(element: etree._Element) -> bytes:
    return etree.tostring(element, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def atom_feed(
    alerts: Iterable[Alert],
    *,
    feed_id: str,
    title: str,
    now: datetime,
    link: Callable[[Alert], str],
    embed: Callable[[Alert], etree._Element] | None = None,
) -> etree._Element:
    """An Atom feed with one entry per alert, linking its CAP document (and embedding it if asked).

    Args:
        feed_id: The feed's own address (its Atom id and ``self`` link).
        link: The address of an alert's CAP document.
        embed: Builds the `<alert>` to put in each entry's `<content>`; None makes an index.
    """
    feed = etree.Element(f"{{{ATOM_NS}}}feed", nsmap={None: ATOM_NS})
    _add(feed, "id", feed_id, ATOM_NS)
    _add(feed, "title", title, ATOM_NS)
    _add(feed, "updated", cap_time(now), ATOM_NS)
    _add(_add(feed, "author", None, ATOM_NS), "name", "Phuket Smart Safety chatbot", ATOM_NS)
    etree.SubElement(feed, f"{{{ATOM_NS}}}link", rel="self", href=feed_id)
    for alert in alerts:
        entry = _add(feed, "entry", None, ATOM_NS)
        _add(entry, "id", link(alert), ATOM_NS)
        _add(entry, "title", text_in(alert.headline, DEFAULT_LANGUAGE), ATOM_NS)
        _add(entry, "updated", cap_sent(alert), ATOM_NS)
        _add(_add(entry, "author", None, ATOM_NS), "name", alert.agency, ATOM_NS)
        _add(entry, "summary", text_in(alert.instruction, DEFAULT_LANGUAGE), ATOM_NS)
        etree.SubElement(
            entry, f"{{{ATOM_NS}}}link", rel="alternate", type=CAP_CONTENT_TYPE, href=link(alert)
        )
        if embed is not None:
            content = etree.SubElement(entry, f"{{{ATOM_NS}}}content", type=CAP_CONTENT_TYPE)
            content.append(embed(alert))
    return feed
