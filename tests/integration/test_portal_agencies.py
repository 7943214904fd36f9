"""The agencies' address (alamat) and e-mail on the administrator's page, kept by intake: checked
in Indonesian beside each field, listed, changed and cleared; and the case page's helper reading
one agency's details."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import httpx

from services.portal.agencies import agency_contact
from services.portal.backend import Backend
from services.portal.sessions import Session
from services.portal.templating import Pages
from tests.builders import person
from tests.integration.test_portal_admin import client_of, portal, services_for, signed_in_as
from tests.support import auth, token

ADDRESS = "Jl. Mulawarman No. 1\r\nKelurahan Pamusian\r\n\r\nTarakan"
SHOWN = "Jl. Mulawarman No. 1<br>Kelurahan Pamusian<br>Tarakan"


def _field_error(html: str, field: str) -> str:
    match = re.search(rf'<p class="field-error" id="opd-{field}-salah">([^<]*)</p>', html)
    return match.group(1) if match else ""


def _row(html: str, code: str) -> str:
    row = html[html.index(f'<td data-label="Kode">{code}</td>') :]
    return row[: row.index("</tr>")]


async def test_an_agency_s_address_and_e_mail_are_kept_shown_and_changed(
    tmp_path: Path, nats_url: str
) -> None:
    with services_for(tmp_path, nats_url) as settings:
        intake = settings.service_url("intake") + "/api/v1/agencies/DINSOS"
        async with client_of(portal(settings)) as admin, httpx.AsyncClient() as http:
            csrf = await signed_in_as(admin, "admin")
            listing = (await admin.get("/admin/opd")).text
            assert '<th scope="col">Alamat</th>' in listing
            assert "belum dicatat" in _row(listing, "DINKES")
            agency = {
                "csrf": csrf,
                "code": "dinsos",
                "name": "Dinas Sosial",
                "address": ADDRESS,
                "email": "dinsos@tarakankota.go.id",
            }

            bad = await admin.post(
                "/admin/opd", data={**agency, "email": "dinsos@tarakan", "address": "x" * 501}
            )
            assert bad.status_code == 422
            assert _field_error(bad.text, "email").startswith("alamat e-mail tidak valid")
            assert _field_error(bad.text, "address") == "alamat paling panjang 500 karakter"
            assert 'value="dinsos@tarakan"' in bad.text  # what was typed is kept
            assert 'aria-describedby="opd-address-bantuan opd-address-salah"' in bad.text
            assert (await http.get(intake, headers=auth(settings, "admin"))).status_code == 404

            added = await admin.post("/admin/opd", data=agency)
            assert added.status_code == 303
            row = _row((await admin.get("/admin/opd")).text, "DINSOS")
            assert SHOWN in row
            assert "dinsos@tarakankota.go.id" in row
            kept = (await http.get(intake, headers=auth(settings, "kadis"))).json()
            assert kept["address"] == "Jl. Mulawarman No. 1\nKelurahan Pamusian\nTarakan"

            # Adding the code again is refused and changes nothing: adding never renames.
            twice = await admin.post("/admin/opd", data={**agency, "name": "Lain", "email": ""})
            assert twice.status_code == 422
            assert _field_error(twice.text, "code") == (
                "kode ini sudah terdaftar untuk Dinas Sosial; pilih Ubah"
            )
            assert (await http.get(intake, headers=auth(settings, "kadis"))).json() == kept

            form = (await admin.get("/admin/opd?ubah=DINSOS")).text
            assert "Ubah data OPD DINSOS" in form
            assert "Jl. Mulawarman No. 1\nKelurahan Pamusian\nTarakan</textarea>" in form
            assert 'value="dinsos@tarakankota.go.id"' in form
            changed = await admin.post(
                "/admin/opd",
                data={**agency, "code": "DINSOS", "email": "", "ubah": "true"},
            )
            assert changed.status_code == 303
            row = _row((await admin.get("/admin/opd")).text, "DINSOS")
            assert SHOWN in row
            assert "dinsos@tarakankota.go.id" not in row
            assert "belum dicatat" in row
            assert (await http.get(intake, headers=auth(settings, "kadis"))).json()["email"] == ""


async def test_the_case_page_s_helper_reads_one_agency_or_says_why_not(
    tmp_path: Path, nats_url: str
) -> None:
    with services_for(tmp_path, nats_url) as settings:
        async with httpx.AsyncClient() as http:
            admin = auth(settings, "admin")
            body = {"code": "DINSOS", "name": "Dinas Sosial", "address": ADDRESS, "email": ""}
            posted = await http.post(
                settings.service_url("intake") + "/api/v1/agencies", json=body, headers=admin
            )
            assert posted.status_code == 201
            now = datetime.now(UTC)
            kadis = Session("k", person("kadis"), token(settings, "kadis"), "c", now, now)
            backend = Backend(settings, http)
            agency, why = await agency_contact(backend, kadis, "DINSOS")
            assert agency is not None
            assert (agency["name"], agency["address"], why) == (
                "Dinas Sosial",
                "Jl. Mulawarman No. 1\nKelurahan Pamusian\nTarakan",
                "",
            )
            assert await agency_contact(backend, kadis, "NOSUCH") == (None, "")
            stranger = Session("s", person("kadis"), "not a token", "c", now, now)
            unknown, why = await agency_contact(backend, stranger, "DINSOS")
            assert unknown is None
            assert why


def test_the_case_page_s_rows_show_what_is_recorded_and_escape_it() -> None:
    template = Pages("Asia/Makassar").templates.env.get_template("_opd.html")
    kontak = template.module.kontak  # type: ignore[attr-defined]
    shown = str(kontak({"address": "Jl. <Baru> & Lama\nTarakan", "email": "opd@tarakankota.go.id"}))
    assert "<dt>Alamat OPD</dt><dd>Jl. &lt;Baru&gt; &amp; Lama<br>Tarakan</dd>" in shown
    assert '<a href="mailto:opd@tarakankota.go.id">opd@tarakankota.go.id</a>' in shown
    assert "<dt>" not in str(kontak({"address": "", "email": ""})) + str(kontak(None))
