"""Parse CAP 1.2 XML safely and validate it against the OASIS schema (``data/cap/CAP-v1.2.xsd``).

Dates in the Buddhist Era (``2568-11-24T10:15:00+07:00``) are made Gregorian before validation.

The parser never resolves entities, never loads a DTD and never touches the network (no XXE, no
"billion laughs"); a document with a DOCTYPE is refused outright, as CAP has no use for one.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path

from lxml import etree

from actions.cap.dates import gregorian_times

logger = logging.getLogger(__name__)

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
CAP_XSD = Path(__file__).resolve().parents[2] / "data" / "cap" / "CAP-v1.2.xsd"
# The date-times of a message (<references> quotes `sent` too, but only as an opaque name).
CAP_TIMES = tuple(f"{{{CAP_NS}}}{name}" for name in ("sent", "effective", "onset", "expires"))


class CapError(ValueError):
    """The document is not a CAP 1.2 alert we can act on; `problems` says why, with line numbers."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def safe_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_blank_text=True,
    )


@lru_cache(maxsize=1)
def cap_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(CAP_XSD), safe_parser()))


def parse_xml(document: bytes, *, what: str = "CAP messages") -> etree._Element:
    """The root element of a well-formed document without a DOCTYPE, parsed safely.

    Raises:
        CapError: malformed XML, or a DOCTYPE (no XML format we read needs one).
    """
    try:
        tree = etree.fromstring(document, safe_parser()).getroottree()
    except etree.XMLSyntaxError as exc:
        raise CapError([f"malformed XML: {exc.msg} (line {exc.lineno})"]) from exc
    if tree.docinfo.doctype:
        raise CapError([f"DOCTYPE declarations are not allowed in {what}"])
    return tree.getroot()


def parse_cap(document: bytes) -> etree._Element:
    """The root `<alert>` of a CAP 1.2 document that is well-formed and valid against the schema.

    Raises:
        CapError: malformed XML, a DOCTYPE, another root element, or schema violations (each with
            its line number).
    """
    return check_cap(parse_xml(document))


def check_cap(root: etree._Element) -> etree._Element:
    """`root` when it is a CAP 1.2 `<alert>` valid against the schema, its Buddhist Era years
    (in `<sent>`, `<effective>`, `<onset>`, `<expires>`) made Gregorian first.

    Raises:
        CapError: another root element, or schema violations (each with its line number).
    """
    name = etree.QName(root)
    if (name.namespace, name.localname) != (CAP_NS, "alert"):
        found = f"<{name.localname}> in {name.namespace or 'no namespace'}"
        raise CapError([f"the root element must be <alert> in namespace {CAP_NS}, not {found}"])
    for change in gregorian_times(root.iter(*CAP_TIMES)):
        logger.info("CAP %s: Buddhist Era date %s", root.findtext(f"{{{CAP_NS}}}identifier"), change)
    return validate_cap(root)


def validate_cap(root: etree._Element) -> etree._Element:
    """`root` itself when it is valid against the CAP 1.2 schema.

    Raises:
        CapError: one problem per schema violation, with its line number.
    """
    schema = cap_schema()
    if schema.validate(root):
        return root
    # "Element '{urn:oasis:...:cap:1.2}severity'" reads better as "Element 'severity'".
    problems = [
        f"line {error.line}: {error.message.replace(f'{{{CAP_NS}}}', '')}" for error in schema.error_log
    ]
    logger.info("CAP document refused: %s", "; ".join(problems))
    raise CapError(problems)
