"""The administrator's pages over HTTP: accounts created, changed, deactivated and appointed
Plt/Plh through the forms, then signed in with through ``/masuk``; host accounts and agencies
changed through the scheduler and intake as the signed-in administrator; everyone else refused."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI

from services.intake.main import create_app as create_intake
from services.launcher import free_port
from services.portal.main import create_app
from services.portal.throttle import SignInGuard
from services.portal.users import DEMO_PASSWORD
from services.scheduler.main import create_app as create_scheduler
from shared.auth import UserDirectory
from shared.settings import Settings
from tests.support import make_settings, running, serving

ADMIN_PAGES = (
    "/admin",
    "/admin/pengguna",
    "/admin/pengguna/baru",
    "/admin/pengguna/staf",
    "/admin/akun-host",
    "/admin/opd",
)
ADMIN_POSTS = (
    "/admin/pengguna/baru",
    "/admin/pengguna/staf",
    "/admin/pengguna/staf/penunjukan",
    "/admin/pengguna/staf/penunjukan/hapus",
    "/admin/pengguna/staf/kata-sandi",
    "/admin/pengguna/staf/status",
    "/admin/akun-host",
    "/admin/akun-host/zoom-1/status",
    "/admin/opd",
)
NEW_USER = {
    "username": "budi.santoso",
    "name": "Budi Santoso, S.Kom., M.T",
    "role": "staf",
    "opd_code": "",
    "jabatan": "Pranata Komputer Ahli Muda",
    "pangkat": "Penata (III/c)",
    "nip": "19900102 201503 1 005",
    "password": "sementara-2026",
    "password_again": "sementara-2026",
}


class Leaping:
    """A clock two minutes further on at every look: the sign-in delays after a refusal
    (tested in test_portal_pages) never hold up the next step of these tests."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 120
        return self.now


def portal(settings: Settings) -> FastAPI:
    app = create_app(settings)
    app.state.sign_in_guard = SignInGuard(clock=Leaping())
    return app


@contextlib.asynccontextmanager
async def client_of(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with running(app) as client:
        yield client


async def sign_in(
    client: httpx.AsyncClient, username: str, password: str = DEMO_PASSWORD, acting: bool = False
) -> httpx.Response:
    data = {"username": username, "password": password}
    if acting:
        data["acting"] = "true"
    return await client.post("/masuk", data=data)


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "every page with a form carries its CSRF token"
    return match.group(1)


async def signed_in_as(client: httpx.AsyncClient, username: str) -> str:
    """Sign in and return the session's CSRF token (every page's sign-out form carries it)."""
    assert (await sign_in(client, username)).status_code == 303
    return csrf_of((await client.get("/admin")).text)


async def test_nobody_but_the_administrator_opens_an_admin_page(settings: Settings) -> None:
    async with client_of(portal(settings)) as client:
        csrf = await signed_in_as(client, "kadis")
        for path in ADMIN_PAGES:
            page = await client.get(path)
            assert page.status_code == 403, path
            assert "hanya untuk Administrator" in page.text
        for path in ADMIN_POSTS:
            posted = await client.post(path, data={"csrf": csrf, **NEW_USER, "aktif": "false"})
            assert posted.status_code == 403, path
            assert "hanya untuk Administrator" in posted.text

    async with client_of(portal(settings)) as anonymous:
        for path in ADMIN_PAGES:
            assert (await anonymous.get(path)).headers["location"] == "/masuk"

    # Nothing Kadis posted took effect: no account, no new password, staf still active.
    directory = UserDirectory(settings.data_dir / "users.json")
    assert "budi.santoso" not in directory.load()
    assert directory.authenticate("staf", DEMO_PASSWORD).role == "staf"


async def test_a_form_posted_without_its_csrf_token_changes_nothing(settings: Settings) -> None:
    async with client_of(portal(settings)) as client:
        await signed_in_as(client, "admin")
        refused = await client.post("/admin/pengguna/baru", data=NEW_USER)
        assert refused.status_code == 403
        assert "Formulir ini sudah tidak berlaku" in refused.text
        wrong = await client.post("/admin/pengguna/staf/status", data={"csrf": "x", "aktif": "0"})
        assert wrong.status_code == 403
        listing = (await client.get("/admin/pengguna")).text
        assert "budi.santoso" not in listing
        assert "nonaktif</span>" not in listing


async def test_the_admin_still_starts_at_the_cases_and_finds_the_users(settings: Settings) -> None:
    async with client_of(portal(settings)) as client:
        signed_in = await sign_in(client, "admin")
        assert signed_in.headers["location"] == "/kasus"
        listing = await client.get("/admin/pengguna")
        assert listing.status_code == 200
        html = listing.text
        assert "dr. Sri Wahyuni" in html
        assert "Pembina Utama Muda (IV/c)" in html
        assert "19750516 199501 1 001" in html
        assert "Kepala Bidang Aplikasi dan Informatika" in html  # roles in Indonesian
        assert "Plt. Kepala Dinas" in html
        assert "tanpa batas waktu" in html
        assert "scrypt" not in html


async def test_a_user_created_on_the_page_signs_in_until_deactivated(settings: Settings) -> None:
    app = portal(settings)
    async with client_of(app) as admin, client_of(app) as budi:
        csrf = await signed_in_as(admin, "admin")
        created = await admin.post("/admin/pengguna/baru", data={"csrf": csrf, **NEW_USER})
        assert created.status_code == 303
        assert created.headers["location"] == "/admin/pengguna/budi.santoso?ok=dibuat"
        page = (await admin.get(created.headers["location"])).text
        assert "Akun dibuat" in page
        assert "sementara-2026" not in page  # the password is never shown back

        first = await sign_in(budi, "budi.santoso", "sementara-2026")
        assert first.status_code == 303
        assert first.headers["location"] == "/kasus"

        assert (await budi.get("/kasus")).status_code == 200
        off = await admin.post(
            "/admin/pengguna/budi.santoso/status", data={"csrf": csrf, "aktif": "false"}
        )
        assert off.status_code == 303
        assert "nonaktif" in (await admin.get("/admin/pengguna")).text
        # The browser budi had signed in with is signed out too, not only new sign-ins refused.
        assert (await budi.get("/kasus")).headers["location"] == "/masuk"
        budi.cookies.clear()
        refused = await sign_in(budi, "budi.santoso", "sementara-2026")
        assert refused.status_code == 401
        assert "akun Anda dinonaktifkan" in refused.text
        wrong = await sign_in(budi, "budi.santoso", "salah-sama-sekali")
        assert "nama pengguna atau kata sandi salah" in wrong.text  # nothing said to a guesser

        back = await admin.post(
            "/admin/pengguna/budi.santoso/status", data={"csrf": csrf, "aktif": "true"}
        )
        assert back.status_code == 303
        reset = await admin.post(
            "/admin/pengguna/budi.santoso/kata-sandi",
            data={"csrf": csrf, "password": "baru-lagi-2026", "password_again": "baru-lagi-2026"},
        )
        assert reset.status_code == 303
        assert (await sign_in(budi, "budi.santoso", "sementara-2026")).status_code == 401
        assert (await sign_in(budi, "budi.santoso", "baru-lagi-2026")).status_code == 303


async def test_the_admin_cannot_lock_themselves_out(settings: Settings) -> None:
    async with client_of(portal(settings)) as admin:
        csrf = await signed_in_as(admin, "admin")
        refused = await admin.post(
            "/admin/pengguna/admin/status", data={"csrf": csrf, "aktif": "false"}
        )
        assert refused.status_code == 422
        assert "tidak dapat menonaktifkan akun Anda sendiri" in refused.text
        assert (await sign_in(admin, "admin")).status_code == 303


async def test_bad_input_is_answered_in_indonesian_beside_each_field(settings: Settings) -> None:
    async with client_of(portal(settings)) as admin:
        csrf = await signed_in_as(admin, "admin")
        answer = await admin.post(
            "/admin/pengguna/baru",
            data={
                "csrf": csrf,
                **NEW_USER,
                "username": "Budi Santoso",
                "name": "",
                "role": "opd",
                "nip": "1990 0102",
                "password": "pendek",
                "password_again": "pendek",
            },
        )
        assert answer.status_code == 422
        html = answer.text
        for field, message in (
            ("username", "hanya boleh huruf kecil, angka dan titik"),
            ("name", "nama lengkap wajib diisi"),
            ("opd_code", "pengguna OPD harus terkait dengan OPD-nya"),
            ("nip", "NIP harus 18 angka"),
            ("password", "paling sedikit 10 karakter"),
        ):
            assert re.search(
                rf'id="baru-{field}"[^>]*aria-describedby="[^"]*baru-{field}-salah"'
                rf'|id="profil-{field}"[^>]*aria-describedby="[^"]*profil-{field}-salah"',
                html,
            ), field
            assert message in html, field
        assert 'value="Budi Santoso"' in html  # the input is kept
        assert "pendek" not in html  # but never a password
        taken = await admin.post(
            "/admin/pengguna/baru", data={"csrf": csrf, **NEW_USER, "username": "kadis"}
        )
        assert "nama pengguna ini sudah dipakai" in taken.text
        same_nip = await admin.post(
            "/admin/pengguna/baru",
            data={"csrf": csrf, **NEW_USER, "nip": "197505161995011001"},
        )
        assert "NIP ini sudah dipakai oleh akun kadis" in same_nip.text
        shown = re.findall(r'class="field-error"[^>]*>([^<]*)<', answer.text + taken.text)
        assert len(shown) >= 6
        for message in shown:
            assert not re.search(r"\b(field|required|invalid|must|should|value)\b", message)


async def test_a_plt_signs_in_as_plt_only_within_the_appointment(settings: Settings) -> None:
    today = datetime.now(ZoneInfo(settings.timezone)).date()
    app = portal(settings)
    async with client_of(app) as admin, client_of(app) as kabid:
        csrf = await signed_in_as(admin, "admin")

        async def appoint(start: str, end: str) -> httpx.Response:
            return await admin.post(
                "/admin/pengguna/kabid/penunjukan",
                data={
                    "csrf": csrf,
                    "acting_kind": "Plh",
                    "acting_for": "kadis",
                    "acting_from": start,
                    "acting_until": end,
                },
            )

        later = await appoint(str(today + timedelta(days=3)), str(today + timedelta(days=10)))
        assert later.status_code == 303
        refused = await sign_in(kabid, "kabid", acting=True)
        assert refused.status_code == 401
        assert "penunjukan Plt/Plh Anda tidak berlaku hari ini" in refused.text
        assert (await sign_in(kabid, "kabid")).status_code == 303  # as themselves, always
        kabid.cookies.clear()

        assert (await appoint(str(today - timedelta(days=1)), str(today))).status_code == 303
        allowed = await sign_in(kabid, "kabid", acting=True)
        assert allowed.status_code == 303
        assert "Plt. Kepala Dinas" in (await kabid.get("/admin")).text  # the page's header

        backwards = await appoint(str(today), str(today - timedelta(days=1)))
        assert backwards.status_code == 422
        assert "tanggal akhir tidak boleh sebelum tanggal mulai" in backwards.text
        withdrawn = await admin.post("/admin/pengguna/kabid/penunjukan/hapus", data={"csrf": csrf})
        assert withdrawn.status_code == 303
        kabid.cookies.clear()
        assert "tidak ditunjuk sebagai Plt/Plh" in (await sign_in(kabid, "kabid", acting=True)).text

        # The demo's Plt for Kadis has an appointment without an end: it still works.
        kabid.cookies.clear()
        assert (await sign_in(kabid, "plt.kadis", acting=True)).status_code == 303


@contextlib.contextmanager
def services_for(tmp_path: Path, nats_url: str) -> Iterator[Settings]:
    """Intake and the scheduler served over HTTP, and the portal's settings pointing at them."""
    intake_port, scheduler_port = free_port(), free_port()
    settings = make_settings(
        tmp_path / "var",
        nats_url,
        intake_url=f"http://127.0.0.1:{intake_port}",
        scheduler_url=f"http://127.0.0.1:{scheduler_port}",
    )
    with (
        serving(create_intake(settings), port=intake_port),
        serving(create_scheduler(settings), port=scheduler_port),
    ):
        yield settings


async def test_host_accounts_are_registered_and_switched_through_the_scheduler(
    tmp_path: Path, nats_url: str
) -> None:
    with services_for(tmp_path, nats_url) as settings:
        async with client_of(portal(settings)) as admin:
            csrf = await signed_in_as(admin, "admin")
            listing = await admin.get("/admin/akun-host")
            assert listing.status_code == 200
            assert "zoom-1" in listing.text

            host = {
                "csrf": csrf,
                "id": "zoom-9",
                "name": "Zoom DKISP 9",
                "email": "zoom9@tarakankota.go.id",
                "capacity": "300",
                "concurrent": "1",
                "active": "true",
            }
            bad = await admin.post("/admin/akun-host", data={**host, "id": "Zoom 9", "email": "x"})
            assert bad.status_code == 422
            assert "kode akun 2 sampai 40 karakter" in bad.text
            assert "alamat e-mail tidak valid" in bad.text
            registered = await admin.post("/admin/akun-host", data=host)
            assert registered.status_code == 303
            page = (await admin.get("/admin/akun-host")).text
            assert "Zoom DKISP 9" in page
            assert "300 peserta" in page
            again = await admin.post("/admin/akun-host", data=host)
            assert again.status_code == 409
            assert "akun host zoom-9 sudah ada" in again.text  # the scheduler's own pesan

            off = await admin.post(
                "/admin/akun-host/zoom-9/status", data={"csrf": csrf, "aktif": "false"}
            )
            assert off.status_code == 303
            hosts = (await admin.get("/admin/akun-host")).text
            row = hosts[hosts.index("Zoom DKISP 9") :]
            assert "nonaktif" in row[: row.index("</tr>")]
            unknown = await admin.post(
                "/admin/akun-host/zoom-404/status", data={"csrf": csrf, "aktif": "false"}
            )
            assert unknown.status_code == 404
            assert "akun host zoom-404 tidak dikenal" in unknown.text


async def test_agencies_are_added_and_renamed_through_intake(tmp_path: Path, nats_url: str) -> None:
    with services_for(tmp_path, nats_url) as settings:
        async with client_of(portal(settings)) as admin:
            csrf = await signed_in_as(admin, "admin")
            assert "DINKES" in (await admin.get("/admin/opd")).text
            added = await admin.post(
                "/admin/opd", data={"csrf": csrf, "code": "dinsos", "name": "Dinas Sosial"}
            )
            assert added.status_code == 303
            assert "Dinas Sosial" in (await admin.get("/admin/opd")).text
            twice = await admin.post(
                "/admin/opd", data={"csrf": csrf, "code": "DINSOS", "name": "Lain"}
            )
            assert twice.status_code == 422
            assert "kode ini sudah terdaftar untuk Dinas Sosial" in twice.text
            form = (await admin.get("/admin/opd?ubah=DINSOS")).text
            assert 'value="Dinas Sosial"' in form
            renamed = await admin.post(
                "/admin/opd",
                data={
                    "csrf": csrf,
                    "code": "DINSOS",
                    "name": "Dinas Sosial dan PM",
                    "ubah": "true",
                },
            )
            assert renamed.status_code == 303
            assert "Dinas Sosial dan PM" in (await admin.get("/admin/opd")).text
            # The new agency can be chosen for an OPD account at once.
            new_user = (await admin.get("/admin/pengguna/baru")).text
            assert '<option value="DINSOS"' in new_user
