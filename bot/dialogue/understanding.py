"""From a message to an intent: button payloads, the NLU service, or the degraded fallback."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field

from actions.domain import IncidentType
from bot.dialogue.emergency_keywords import detect_emergency
from bot.language import guess_language_from_script
from bot.nlu import NluClient, NluUnavailable, ParseResult

logger = logging.getLogger(__name__)

_PAYLOAD = re.compile(r"^/(?P<intent>[a-z_]+)(?P<entities>\{.*\})?\s*$", re.DOTALL)

# An SOS the model filed under one of these is still an SOS when the keywords say so (not under
# "deny" or "thank", where the words come negated or in thanks: "no, nobody is injured"); a message
# that is nothing but a cry for help is an SOS whatever the model says.
_OVERRIDABLE = {"out_of_scope", "nlu_fallback", "greet", "goodbye", "affirm", None}


UNSURE_EMERGENCY = "confirm_emergency"


@dataclass(frozen=True, slots=True)
class Understanding:
    intent: str | None
    confidence: float
    entities: dict[str, str] = field(default_factory=dict)
    language: str | None = None
    language_confidence: float = 0.0
    degraded: bool = False
    from_payload: bool = False
    # What the SOS keyword detector found, whatever the model said (None: nothing).
    sos_keywords: str | None = None


def parse_payload(text: str) -> Understanding | None:
    """``/find_hospital`` or ``/report_emergency{"incident_type": "fire"}`` from a button."""
    match = _PAYLOAD.match(text.strip())
    if not match:
        return None
    entities: dict[str, str] = {}
    if raw := match.group("entities"):
        try:
            entities = {str(k): str(v) for k, v in json.loads(raw).items()}
        except (ValueError, AttributeError):
            return None
    return Understanding(match.group("intent"), 1.0, entities, from_payload=True)


async def understand(text: str, nlu: NluClient, *, confidence_threshold: float) -> Understanding:
    if payload := parse_payload(text):
        return payload
    script = guess_language_from_script(text)
    try:
        parsed = await nlu.parse(text)
    except NluUnavailable as exc:
        logger.warning("NLU unavailable (%s); using the keyword fallback", exc)
        return _degraded(text, script.code, script.confidence)
    return _from_parse(parsed, text, script.code, script.confidence, confidence_threshold)


def understand_without_model(text: str) -> Understanding:
    """Payloads and the SOS keyword detector only: a sender above the message rate costs no NLU call."""
    if payload := parse_payload(text):
        return payload
    script = guess_language_from_script(text)
    return _degraded(text, script.code, script.confidence)


def _degraded(text: str, language: str | None, language_confidence: float) -> Understanding:
    signal = detect_emergency(text)
    if signal is None:
        return Understanding(None, 0.0, {}, language, language_confidence, degraded=True)
    entities = {"incident_type": signal.incident_type.value}
    return Understanding("report_emergency", 1.0, entities, language, language_confidence, degraded=True)


def _from_parse(
    parsed: ParseResult,
    text: str,
    script_language: str | None,
    script_confidence: float,
    threshold: float,
) -> Understanding:
    entities = {e.entity: e.value for e in parsed.entities}
    language, language_confidence = parsed.language, parsed.language_confidence
    if language is None:
        language, language_confidence = script_language, script_confidence
    intent: str | None = parsed.intent
    confidence = parsed.confidence
    signal = detect_emergency(text)
    if intent == "nlu_fallback" or confidence < threshold:
        # An unsure SOS is asked about rather than dropped or recorded blindly; "unsure" includes
        # the model's fallback when its best guess was an SOS (a near tie with another intent).
        best_guess = next((name for name, _ in parsed.ranking if name != "nlu_fallback"), intent)
        intent = UNSURE_EMERGENCY if best_guess == "report_emergency" and signal is None else None
    if (
        intent == "report_emergency"
        and "incident_type" not in entities
        and signal is not None
        and signal.incident_type is not IncidentType.UNKNOWN
    ):
        # The model saw an SOS but not what kind: the keywords often know (numbers depend on it).
        entities["incident_type"] = signal.incident_type.value
    if signal is not None and (intent in _OVERRIDABLE or signal.cry_only):
        logger.warning("model said %s (%.2f) but keywords say SOS", parsed.intent, confidence)
        intent = "report_emergency"
        if signal.incident_type is not IncidentType.UNKNOWN:
            entities.setdefault("incident_type", signal.incident_type.value)
    return Understanding(
        intent,
        confidence,
        entities,
        language,
        language_confidence,
        sos_keywords=signal.incident_type.value if signal else None,
    )
