"""How a case's step stands against its deadline, as the inbox and the case page show it: late,
due soon (two hours or less) or in time, and by how much, in Indonesian words.

The deadlines themselves come from the disposition service (``due_at``, the SLA summaries of SOP
steps 5 and 8); this module only measures the time left against now.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from shared.procedure import DUE_SOON


def moment(value: str | None) -> datetime | None:
    """A service's ISO timestamp as a datetime, or ``None`` when there is none."""
    return datetime.fromisoformat(value) if value else None


def duration_text(delta: timedelta) -> str:
    """``2 hari 3 jam``, ``1 jam 20 menit``, ``5 menit``: the largest two units, in Indonesian."""
    minutes = max(int(abs(delta).total_seconds() // 60), 0)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{days} hari" if days else "", f"{hours} jam" if hours else ""]
    if not days:
        parts.append(f"{mins} menit" if mins or not hours else "")
    return " ".join(p for p in parts if p) or "kurang dari 1 menit"


def time_left(due_at: str | None, now: datetime) -> dict[str, Any] | None:
    """Where a step stands against its deadline: ``late``, ``soon`` or in time, and how much."""
    due = moment(due_at)
    if due is None:
        return None
    if due < now:
        return {"late": True, "soon": False, "text": f"terlambat {duration_text(now - due)}"}
    return {
        "late": False,
        "soon": due - now <= DUE_SOON,
        "text": f"sisa {duration_text(due - now)}",
    }
