"""What an administrator may write into an account, checked field by field: the username, the
profile (name, role, agency, jabatan, pangkat/golongan, NIP), a temporary password and a Plt/Plh
appointment. Every message is shown beside its field, in Indonesian.
"""

from __future__ import annotations

import re
from datetime import date

from services.portal.users import DEMO_PASSWORD
from shared.auth import User
from shared.calendar import indonesian_date
from shared.roles import OFFICE_ROLES, ROLE_NAMES
from shared.validation import FIRST_YEAR, LAST_YEAR

USERNAME = re.compile(r"^[a-z0-9]+(?:\.[a-z0-9]+)*$")
MIN_PASSWORD = 10
MAX_PASSWORD = 200
MAX_TEXT = 200

# The roles an account may have (``system`` is the services' own, never a person's).
ACCOUNT_ROLES = tuple(role for role in ROLE_NAMES if role != "system")
ACTING_KINDS = {"Plt": "Pelaksana Tugas (Plt)", "Plh": "Pelaksana Harian (Plh)"}

# Pangkat/golongan of civil servants (PP 99/2000), offered as suggestions in the form.
PANGKAT = (
    "Juru Muda (I/a)",
    "Juru Muda Tingkat I (I/b)",
    "Juru (I/c)",
    "Juru Tingkat I (I/d)",
    "Pengatur Muda (II/a)",
    "Pengatur Muda Tingkat I (II/b)",
    "Pengatur (II/c)",
    "Pengatur Tingkat I (II/d)",
    "Penata Muda (III/a)",
    "Penata Muda Tingkat I (III/b)",
    "Penata (III/c)",
    "Penata Tingkat I (III/d)",
    "Pembina (IV/a)",
    "Pembina Tingkat I (IV/b)",
    "Pembina Utama Muda (IV/c)",
    "Pembina Utama Madya (IV/d)",
    "Pembina Utama (IV/e)",
)

Errors = dict[str, str]

# Words the pages' addresses use after /admin/pengguna/ (and the services' own actor).
RESERVED_USERNAMES = frozenset({"baru", "system", "sistem"})


def check_username(username: str, taken: set[str] | frozenset[str]) -> str | None:
    if not username:
        return "nama pengguna wajib diisi"
    if not 3 <= len(username) <= 40:
        return "nama pengguna harus 3 sampai 40 karakter"
    if not USERNAME.match(username):
        return (
            "nama pengguna hanya boleh huruf kecil, angka dan titik (tidak di awal atau akhir), "
            "mis. opd.dinkes"
        )
    if username in taken:
        return "nama pengguna ini sudah dipakai"
    if username in RESERVED_USERNAMES:
        return "nama pengguna ini tidak dapat dipakai; pilih yang lain"
    return None


def format_nip(text: str) -> tuple[str, str | None]:
    """A NIP written as the office writes it (``19720314 199803 2 004``), or why it is not one.

    The 18 digits are a date of birth (8), the year and month of appointment (6), the sex (1:
    1 or 2) and a number (3); spaces may be written anywhere. Empty is allowed (not every
    account belongs to a civil servant).
    """
    digits = re.sub(r"\s+", "", text)
    if not digits:
        return "", None
    if not digits.isdigit() or not digits.isascii() or len(digits) != 18:
        return text, "NIP harus 18 angka, mis. 19720314 199803 2 004"
    try:
        date(int(digits[0:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return text, "8 angka pertama NIP harus tanggal lahir yang sah (tahun, bulan, tanggal)"
    if not 1 <= int(digits[12:14]) <= 12 or int(digits[8:12]) < int(digits[0:4]):
        return text, "angka ke-9 sampai ke-14 NIP harus tahun dan bulan pengangkatan yang sah"
    if digits[14] not in "12":
        return text, "angka ke-15 NIP harus 1 (laki-laki) atau 2 (perempuan)"
    return f"{digits[:8]} {digits[8:14]} {digits[14]} {digits[15:]}", None


def check_profile(
    values: dict[str, str], agencies: dict[str, str] | None
) -> tuple[dict[str, str], Errors]:
    """The profile fields cleaned (name, role, opd_code, jabatan, pangkat, nip), and the errors.

    ``agencies`` are the known agency codes; ``None`` when intake could not be asked (the code
    is then only checked for its form).
    """
    errors: Errors = {}
    clean = {key: values.get(key, "").strip() for key in ("name", "role", "jabatan", "pangkat")}
    clean["opd_code"] = values.get("opd_code", "").strip().upper()
    if not clean["name"]:
        errors["name"] = "nama lengkap wajib diisi, dengan gelarnya"
    for key, label in (("name", "nama"), ("jabatan", "jabatan"), ("pangkat", "pangkat/golongan")):
        if len(clean[key]) > MAX_TEXT:
            errors[key] = f"{label} paling panjang {MAX_TEXT} karakter"
    if clean["role"] not in ACCOUNT_ROLES:
        errors["role"] = "pilih peran pengguna"
    if clean["role"] == "opd":
        if not clean["opd_code"]:
            errors["opd_code"] = "pengguna OPD harus terkait dengan OPD-nya"
        elif agencies is not None and clean["opd_code"] not in agencies:
            errors["opd_code"] = "OPD ini tidak terdaftar"
        elif agencies is None and not re.fullmatch(r"[A-Z0-9]{2,20}", clean["opd_code"]):
            errors["opd_code"] = "kode OPD harus 2 sampai 20 huruf atau angka"
    else:
        clean["opd_code"] = ""
    clean["nip"], nip_error = format_nip(values.get("nip", ""))
    if nip_error:
        errors["nip"] = nip_error
    return clean, errors


def check_new_password(password: str, again: str, username: str) -> Errors:
    """A password an administrator sets (a temporary one, told to its user in person)."""
    if len(password) < MIN_PASSWORD:
        return {"password": f"kata sandi paling sedikit {MIN_PASSWORD} karakter"}
    if len(password) > MAX_PASSWORD:
        return {"password": f"kata sandi paling panjang {MAX_PASSWORD} karakter"}
    if password.lower() in (username.lower(), DEMO_PASSWORD):
        return {"password": "kata sandi ini terlalu mudah ditebak; pilih yang lain"}
    if password != again:
        return {"password_again": "kedua kata sandi tidak sama"}
    return {}


def check_appointment(
    values: dict[str, str], own_role: str
) -> tuple[tuple[str, str, date, date | None] | None, Errors]:
    """A Plt/Plh appointment (role acted for, kind, first day, last day or none), or the errors."""
    errors: Errors = {}
    acting_for = values.get("acting_for", "").strip()
    kind = values.get("acting_kind", "").strip()
    if own_role not in OFFICE_ROLES:
        errors["acting_for"] = "hanya pejabat atau staf dinas yang dapat ditunjuk sebagai Plt/Plh"
    elif acting_for not in OFFICE_ROLES:
        errors["acting_for"] = "pilih jabatan yang diwakili"
    elif acting_for == own_role:
        errors["acting_for"] = "jabatan yang diwakili harus berbeda dari peran pengguna sendiri"
    if kind not in ACTING_KINDS:
        errors["acting_kind"] = "pilih Plt atau Plh"
    start = _day(values.get("acting_from", ""), "acting_from", errors, required=True)
    end = _day(values.get("acting_until", ""), "acting_until", errors, required=False)
    if start and end and end < start:
        errors["acting_until"] = "tanggal akhir tidak boleh sebelum tanggal mulai"
    if errors or start is None:
        return None, errors
    return (acting_for, kind, start, end), errors


def _day(text: str, key: str, errors: Errors, *, required: bool) -> date | None:
    text = text.strip()
    if not text:
        if required:
            errors[key] = "tanggal mulai wajib diisi"
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        errors[key] = "tanggal tidak valid; tulis seperti 2026-12-01"
        return None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        errors[key] = f"tanggal harus dalam tahun {FIRST_YEAR} sampai {LAST_YEAR}"
        return None
    return day


def period_text(user: User) -> str:
    """The Plt/Plh appointment's period in words: ``1 Desember 2026 s.d. 31 Desember 2026``."""
    start = indonesian_date(user.acting_from) if user.acting_from else ""
    end = indonesian_date(user.acting_until) if user.acting_until else ""
    if start and end:
        return f"{start} s.d. {end}"
    if start:
        return f"mulai {start}, tanpa batas akhir"
    return f"sampai {end}" if end else "tanpa batas waktu"
