"""The roles of the procedure and of the system, with their names as the office says them."""

from __future__ import annotations

ROLE_NAMES: dict[str, str] = {
    "opd": "Kepala OPD Pemohon",
    "kadis": "Kepala Dinas",
    "kabid": "Kepala Bidang Aplikasi dan Informatika",
    "subkoordinator": "Sub Koordinator Pengelolaan e-Government",
    "staf": "Staf",
    "operator": "Operator",
    "auditor": "Auditor",
    "admin": "Administrator",
    "system": "Sistem",
}
