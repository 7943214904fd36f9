"""Who may log in to the portal: the demo users seeded on first start, and an account as
administrators may see it.

The accounts themselves live in :class:`shared.auth.UserDirectory` (a JSON file under the data
directory, scrypt hashes); this module only adds what the portal needs on top of it. What an
administrator may write into an account is checked in :mod:`services.portal.admin_rules`.
"""

from __future__ import annotations

from dataclasses import replace

from shared.auth import User, UserDirectory, hash_password
from shared.roles import ROLE_NAMES

# The demo accounts' password: `sivicon up` prints it; demo data is refused in production, and
# no account may be given it (services.portal.admin_rules).
DEMO_PASSWORD = "sivicon-demo"  # noqa: S105

_KADIS_JABATAN = "Kepala Dinas Komunikasi, Informatika, Statistik dan Persandian"

# username, name, role, opd_code, acting_for, jabatan, pangkat, nip
_DEMO_ROWS: tuple[tuple[str, str, str, str | None, str | None, str, str, str], ...] = (
    (
        "opd.dinkes",
        "dr. Sri Wahyuni",
        "opd",
        "DINKES",
        None,
        "Kepala Dinas Kesehatan",
        "Pembina Tingkat I (IV/b)",
        "19720314 199803 2 004",
    ),
    (
        "opd.disdik",
        "Drs. Muhammad Yusuf, M.Pd",
        "opd",
        "DISDIK",
        None,
        "Kepala Dinas Pendidikan",
        "Pembina Tingkat I (IV/b)",
        "19700821 199603 1 002",
    ),
    (
        "kadis",
        "Hendrik Arfandi, AP., M.Si",
        "kadis",
        None,
        None,
        _KADIS_JABATAN,
        "Pembina Utama Muda (IV/c)",
        "19750516 199501 1 001",
    ),
    (
        "kabid",
        "Ir. Bambang Setiawan, M.T",
        "kabid",
        None,
        None,
        ROLE_NAMES["kabid"],
        "Pembina (IV/a)",
        "19780912 200312 1 003",
    ),
    (
        "subko",
        "Rina Marlina, S.Kom",
        "subkoordinator",
        None,
        None,
        ROLE_NAMES["subkoordinator"],
        "Penata Tingkat I (III/d)",
        "19850307 201001 2 012",
    ),
    (
        "staf",
        "Andi Pratama, S.Kom",
        "staf",
        None,
        None,
        "Pranata Komputer Ahli Pertama",
        "Penata Muda (III/a)",
        "19940620 202012 1 007",
    ),
    (
        "operator",
        "Yusuf Hidayat, A.Md",
        "operator",
        None,
        None,
        "Operator Sistem Informasi",
        "Pengatur (II/c)",
        "19960105 202203 1 004",
    ),
    (
        "auditor",
        "Dewi Lestari, S.E., Ak",
        "auditor",
        None,
        None,
        "Auditor Inspektorat Daerah",
        "Penata (III/c)",
        "19880423 201101 2 009",
    ),
    ("admin", "Administrator SIVICON", "admin", None, None, "Administrator Sistem", "", ""),
    (
        "plt.kadis",
        "Drs. Syamsul Bahri, M.Si",
        "kabid",
        None,
        "kadis",
        f"Plt. {_KADIS_JABATAN}",
        "Pembina (IV/a)",
        "19760218 199803 1 005",
    ),
)


def demo_users() -> list[User]:
    """One demo account per role (and a Plt for Kadis), without password hashes."""
    return [
        User(
            username=u,
            name=n,
            role=r,
            password_hash="",
            opd_code=o,
            acting_for=a,
            jabatan=j,
            pangkat=p,
            nip=nip,
        )
        for u, n, r, o, a, j, p, nip in _DEMO_ROWS
    ]


def seed_demo_users(directory: UserDirectory, password: str = DEMO_PASSWORD) -> list[str]:
    """Add the missing demo users (existing accounts are never touched); returns those added."""
    users = directory.load()
    added = [
        replace(user, password_hash=hash_password(password))
        for user in demo_users()
        if user.username not in users
    ]
    if added:
        directory.save([*users.values(), *added])
    return [user.username for user in added]


def public_view(user: User) -> dict[str, str | bool | None]:
    """A user as administrators may see it: everything except the password hash."""
    return {
        "username": user.username,
        "name": user.name,
        "role": user.role,
        "opd_code": user.opd_code,
        "acting_for": user.acting_for,
        "acting_kind": user.acting_kind if user.acting_for else None,
        "acting_from": user.acting_from.isoformat() if user.acting_from else None,
        "acting_until": user.acting_until.isoformat() if user.acting_until else None,
        "nip": user.nip,
        "jabatan": user.jabatan,
        "pangkat": user.pangkat,
        "active": user.active,
    }
