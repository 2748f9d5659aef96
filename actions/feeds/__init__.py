"""The CAP feed relay's state and decisions: the feeds, what their documents hold, and what becomes
of each message (the polling itself, over HTTP, is :mod:`bot.feeds`)."""

from actions.feeds.documents import MAX_ENTRIES, Entry, FeedDocument, FeedFormatError, newest_first, read_feed
from actions.feeds.relay import DUPLICATE, FeedMessageResult, relay_feed_message
from actions.feeds.repository import (
    DEFAULT_INTERVAL_S,
    LOG_SIZE,
    MIN_INTERVAL_S,
    FeedError,
    LogLine,
    add_feed,
    add_to_log,
    claim_feed,
    due_feed_ids,
    find_feed,
    last_errors,
    list_feeds,
    next_poll_at,
    remove_feed,
)

__all__ = [
    "DEFAULT_INTERVAL_S",
    "DUPLICATE",
    "LOG_SIZE",
    "MAX_ENTRIES",
    "MIN_INTERVAL_S",
    "Entry",
    "FeedDocument",
    "FeedError",
    "FeedFormatError",
    "FeedMessageResult",
    "LogLine",
    "add_feed",
    "add_to_log",
    "claim_feed",
    "due_feed_ids",
    "find_feed",
    "last_errors",
    "list_feeds",
    "newest_first",
    "next_poll_at",
    "read_feed",
    "relay_feed_message",
    "remove_feed",
]
