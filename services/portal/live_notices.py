"""The notices a stream brings its user: what is new for them in an event, in a sentence of
Bahasa Indonesia (a case now waiting for their action, a meeting created for their request, ...),
and the list of their latest notices as the HTML the page swaps in."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup

from services.portal.templating import Pages
from shared.events import (
    Actor,
    Disposed,
    DraftReturned,
    IntegrationEvent,
    LetterReceived,
    LetterSent,
    MeetingCancelled,
    MeetingCreated,
    RequestSubmitted,
    RequestWithdrawn,
    SlaBreached,
    SlotChecked,
    WithdrawalRefused,
)
from shared.roles import OFFICE_ROLES, ROLE_NAMES, effective_role

NOTICES_SHOWN = 5


@dataclass(frozen=True)
class Notice:
    text: str
    href: str
    at: datetime


def actor_of(event: IntegrationEvent) -> Actor | None:
    """Who did what the event records (one's own step is no news to oneself)."""
    for name in (
        "by",
        "submitted_by",
        "created_by",
        "signer",
        "received_by",
        "withdrawn_by",
        "cancelled_by",
    ):
        actor = getattr(event, name, None)
        if isinstance(actor, Actor):
            return actor
    return None


def notice_for(event: IntegrationEvent, role: str, agenda: str) -> str | None:
    """What is new for someone in ``role`` in this event, in a sentence; ``None`` if nothing."""
    office = role in OFFICE_ROLES
    if isinstance(event, RequestSubmitted) and role == "kadis":
        return f"Permohonan baru {agenda} dari {event.opd_name} menunggu disposisi Anda"
    if isinstance(event, Disposed):
        if event.to_role == role and office:
            sender = ROLE_NAMES.get(effective_role(event.by), event.by.role)
            return f"Kasus {agenda} menunggu tindakan Anda (dari {sender})"
        if event.to_role == role == "opd":
            return f"Ada tanggapan untuk permohonan {agenda}"
    if isinstance(event, DraftReturned) and role == event.to_role:
        sender = ROLE_NAMES.get(effective_role(event.by), event.by.role)
        return f"Draf surat tanggapan kasus {agenda} dikembalikan oleh {sender}: {event.note}"
    if isinstance(event, SlotChecked) and role == "subkoordinator":
        if event.available:
            return f"Jadwal untuk kasus {agenda} tersedia ({event.host_account_name})"
        return f"Jadwal untuk kasus {agenda} penuh; tersedia {len(event.alternatives)} waktu lain"
    if isinstance(event, MeetingCreated) and role == "opd":
        return f"Rapat untuk permohonan {agenda} telah dibuat"
    if isinstance(event, MeetingCancelled) and role in ("opd", "subkoordinator", "staf"):
        return f"Rapat untuk permohonan {agenda} dibatalkan"
    if isinstance(event, LetterSent) and role == "opd":
        return (
            f"Surat tanggapan untuk permohonan {agenda} telah dikirim; "
            "mohon konfirmasi penerimaannya"
        )
    if isinstance(event, LetterReceived) and role == "subkoordinator":
        return f"OPD telah mengonfirmasi penerimaan surat tanggapan kasus {agenda}"
    if isinstance(event, SlaBreached) and (
        role in ("kadis", "kabid", "subkoordinator") or (role == "staf" and event.sop_step == 5)
    ):
        return f"Batas waktu langkah {event.sop_step} kasus {agenda} ({event.limit}) terlampaui"
    if isinstance(event, RequestWithdrawn) and office:
        return f"Permohonan {agenda} ditarik oleh OPD pemohon"
    if isinstance(event, WithdrawalRefused) and role == "opd":
        return f"Penarikan permohonan {agenda} tidak dapat diproses: kasus sudah selesai"
    return None


def notices_html(notices: deque[Notice], pages: Pages) -> str:
    """The latest notices, newest first, as the list the page shows (escaped)."""
    item = Markup('<li><a href="{}">{}</a> <small>{}</small></li>')
    items = Markup("").join(item.format(n.href, n.text, pages.time(n.at)) for n in notices)
    return str(Markup('<ul class="pemberitahuan-daftar">{}</ul>').format(items))
