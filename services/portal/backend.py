"""The services as the pages reach them: each call made with the signed-in user's own token, so
that every service decides for itself what this user may see and do (the portal decides nothing).

A refusal comes back as :class:`Refusal` with the service's Indonesian ``pesan`` (and, for invalid
input, the field at fault), to be shown beside the form; an unreachable service as the same, with
a message saying which service could not be reached.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from services.portal.sessions import Session
from shared.settings import Settings

SERVICE_NAMES = {
    "intake": "layanan permohonan",
    "disposition": "layanan disposisi",
    "scheduler": "layanan penjadwalan",
    "letters": "layanan surat",
}


@dataclass
class Refusal(Exception):
    status: int
    code: str
    pesan: str
    fields: dict[str, str] = field(default_factory=dict)


class Backend:
    def __init__(self, settings: Settings, client: httpx.AsyncClient) -> None:
        self.settings = settings
        self.client = client

    async def call(
        self,
        session: Session,
        method: str,
        service: str,
        path: str,
        **kwargs: Any,
    ) -> httpx.Response:
        url = self.settings.service_url(service).rstrip("/") + path
        headers = {"Authorization": f"Bearer {session.bearer}", **kwargs.pop("headers", {})}
        try:
            response = await self.client.request(method, url, headers=headers, **kwargs)
        except httpx.HTTPError:
            raise Refusal(
                503,
                "service_unreachable",
                f"{SERVICE_NAMES.get(service, service)} sedang tidak dapat dihubungi; "
                "silakan coba lagi beberapa saat lagi",
            ) from None
        if response.status_code >= 400:
            raise _refusal(response)
        return response

    async def json(
        self, session: Session, method: str, service: str, path: str, **kwargs: Any
    ) -> Any:
        return (await self.call(session, method, service, path, **kwargs)).json()

    async def get(self, session: Session, service: str, path: str, **params: Any) -> Any:
        return await self.json(session, "GET", service, path, params=params or None)

    async def get_or_none(self, session: Session, service: str, path: str) -> Any:
        """The answer, or ``None`` when the service has no such record (404)."""
        try:
            return await self.get(session, service, path)
        except Refusal as refusal:
            if refusal.status == 404:
                return None
            raise


def _refusal(response: httpx.Response) -> Refusal:
    try:
        error = response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return Refusal(response.status_code, f"http_{response.status_code}", "permintaan gagal")
    fields = {d["field"]: d["message"] for d in error.get("details") or [] if "field" in d}
    return Refusal(response.status_code, error.get("code", ""), error.get("pesan", ""), fields)
