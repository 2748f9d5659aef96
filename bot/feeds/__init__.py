"""The CAP feed relay: polls the feeds over HTTP inside the app (FEEDS_ENABLED) or as
`safety-bot feeds run`, and relays what is new to Phuket's subscribers."""

from bot.feeds.fetch import Fetched, Fetcher, FetchError
from bot.feeds.poller import FeedOptions, FeedPoller, PollReport, backoff_s, feed_poller

__all__ = [
    "FeedOptions",
    "FeedPoller",
    "FetchError",
    "Fetched",
    "Fetcher",
    "PollReport",
    "backoff_s",
    "feed_poller",
]
