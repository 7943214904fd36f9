"""Who sees what on the live streams: each stream passes on only what its user may read, as the
services decide it (:mod:`shared.access`): the office, the operator, the auditor and the
administrator every case, an OPD only its own agency's. A notice goes only to whom the event is
news: not to the one who did the step, and only for what :func:`notice_for` names for their role.
"""

from __future__ import annotations

from datetime import UTC, datetime

from services.portal.backend import Backend
from services.portal.live_feed import CaseFacts, LiveFeed
from services.portal.live_notices import Notice, actor_of, notice_for
from services.portal.sessions import Session
from shared.events import IntegrationEvent
from shared.roles import effective_role


async def may_see(
    event: IntegrationEvent, session: Session, feed: LiveFeed, backend: Backend
) -> tuple[bool, CaseFacts | None]:
    """Whether this user may read the event's case, with its facts when they had to be asked."""
    actor = session.actor
    if effective_role(actor) != "opd":
        return True, None
    facts = await feed.facts(event.request_id, session, backend)
    return facts is not None and facts.opd_code == actor.opd_code, facts


async def news_for(
    event: IntegrationEvent,
    session: Session,
    feed: LiveFeed,
    backend: Backend,
    facts: CaseFacts | None,
) -> Notice | None:
    """The notice this event brings a user who may see it; ``None`` when it is no news to them."""
    actor = session.actor
    role = effective_role(actor)
    by = actor_of(event)
    if by is not None and by.username == actor.username:
        return None  # one's own step is no news
    if notice_for(event, role, "") is None:
        return None
    facts = facts or await feed.facts(event.request_id, session, backend)
    agenda = facts.agenda_number if facts else "(tanpa nomor)"
    text = notice_for(event, role, agenda)
    assert text is not None
    where = "permohonan" if role == "opd" else "kasus"
    return Notice(text, f"/{where}/{event.request_id}", datetime.now(UTC))
