"""The bot's side of the NLU service."""

from bot.nlu.client import Entity, NluClient, NluUnavailable, ParseResult

__all__ = ["Entity", "NluClient", "NluUnavailable", "ParseResult"]
