"""Live updates: the pages follow the stream without reloading (server-sent events, ``/langsung``).

Split by concept: the NATS subscription fanned out to the streams (:mod:`live_feed`), who sees
what (:mod:`live_audience`), the notices' texts (:mod:`live_notices`) and the SSE endpoint
(:mod:`live_stream`). ``main.py`` includes :data:`router`.
"""

from __future__ import annotations

from services.portal.live_feed import CaseFacts, LiveFeed, feed_of
from services.portal.live_notices import notice_for
from services.portal.live_stream import router, sse

__all__ = ["CaseFacts", "LiveFeed", "feed_of", "notice_for", "router", "sse"]
