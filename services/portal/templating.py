"""The pages' templates (Jinja2, autoescaped) and how they write dates, times and roles: in
Indonesian, in the office's time zone (``30 November 2026, 09.00 WITA``)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from services.portal.sessions import Session
from shared.calendar import ZONE_LABELS, indonesian_date, indonesian_day_date
from shared.roles import ROLE_NAMES

TEMPLATES_DIR = Path(__file__).parent / "templates"

# Nothing may be fetched from elsewhere: the pages work offline and leak nothing to third parties.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _moment(value: str | datetime | None) -> datetime | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


class Pages:
    """Renders a template with what every page needs: the user, the CSRF token, the zone."""

    def __init__(self, timezone: str) -> None:
        self.zone = ZoneInfo(timezone)
        self.zone_label = ZONE_LABELS.get(timezone, timezone)
        self.templates = Jinja2Templates(directory=TEMPLATES_DIR)
        env = self.templates.env
        env.filters["tanggal"] = self.date
        env.filters["hari_tanggal"] = self.day_date
        env.filters["jam"] = self.time
        env.filters["waktu"] = self.moment
        env.filters["peran"] = lambda role: ROLE_NAMES.get(role or "", role or "")

    def date(self, value: str | datetime | None) -> str:
        moment = _moment(value)
        return "" if moment is None else indonesian_date(moment.astimezone(self.zone).date())

    def day_date(self, value: str | datetime | None) -> str:
        moment = _moment(value)
        return "" if moment is None else indonesian_day_date(moment.astimezone(self.zone))

    def time(self, value: str | datetime | None) -> str:
        moment = _moment(value)
        if moment is None:
            return ""
        return f"{moment.astimezone(self.zone).strftime('%H.%M')} {self.zone_label}"

    def moment(self, value: str | datetime | None) -> str:
        """``30 November 2026, 09.00 WITA``."""
        return f"{self.date(value)}, {self.time(value)}" if _moment(value) else ""

    def render(
        self,
        request: Request,
        name: str,
        session: Session | None = None,
        status_code: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        context = {
            "session": session,
            "user": session.actor if session else None,
            "csrf": session.csrf if session else "",
            "zone_label": self.zone_label,
            **context,
        }
        return self.templates.TemplateResponse(
            request, name, context, status_code=status_code, headers=SECURITY_HEADERS
        )
