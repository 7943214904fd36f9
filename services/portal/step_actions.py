"""The case page's actions that are not dispositions, gathered under one router: the staff's
Zoom meeting (:mod:`step_meeting`), the reply letter drafted, previewed, signed and sent
(:mod:`step_letter`), the action's own page and the notices every action answers with
(:mod:`step_page`), and which action the case page shows to whom (:mod:`step_view`).

The case page asks :func:`step_action` which partial to show and :func:`notice_text` for the
notice of ``?pesan=``; ``main.py`` includes :data:`router`.
"""

from __future__ import annotations

from fastapi import APIRouter

from services.portal import step_letter, step_meeting, step_page
from services.portal.step_page import NOTICES, notice_text
from services.portal.step_view import step_action

__all__ = ["NOTICES", "notice_text", "router", "step_action"]

router = APIRouter(include_in_schema=False)
router.include_router(step_letter.router)
router.include_router(step_page.router)
router.include_router(step_meeting.router)
