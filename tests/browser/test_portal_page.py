"""The portal in a real browser (Debian's Chromium driven by Playwright) against the whole system
as `sivicon up` starts it: signing in and out, in Bahasa Indonesia, on a desktop and a phone."""

from __future__ import annotations

from typing import TYPE_CHECKING

from services.launcher import System
from tests.browser.conftest import look, new_page, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page


def test_the_sign_in_page_reads_well_on_a_desktop_and_a_phone(page: Page) -> None:
    from playwright.sync_api import expect

    expect(page).to_have_url(page.url.split("/masuk")[0] + "/masuk")
    expect(page.get_by_role("heading", name="Masuk")).to_be_visible()
    expect(page.get_by_text("Pelaksana Tugas (Plt)")).to_be_visible()
    look(page, "masuk")


def test_a_wrong_password_is_answered_in_indonesian_and_keeps_the_username(page: Page) -> None:
    from playwright.sync_api import expect

    sign_in(page, "kadis", "bukan-kata-sandinya")
    alert = page.get_by_role("alert")
    expect(alert).to_have_text("nama pengguna atau kata sandi salah")
    expect(page.get_by_label("Nama pengguna")).to_have_value("kadis")
    expect(page.get_by_label("Kata sandi")).to_have_value("")
    look(page, "masuk-salah")


def test_an_acting_official_is_shown_in_the_role_they_hold(page: Page) -> None:
    from playwright.sync_api import expect

    sign_in(page, "plt.kadis", acting=True)
    expect(page.locator(".who")).to_contain_text("Drs. Syamsul Bahri, M.Si")
    expect(page.locator(".who")).to_contain_text(
        "Plt. Kepala Dinas (Kepala Bidang Aplikasi dan Informatika)"
    )


def test_signing_out_ends_the_session_and_nothing_comes_from_elsewhere(
    browser: Browser, system: System
) -> None:
    from playwright.sync_api import expect

    page = new_page(browser, system)
    try:
        sign_in(page, "kadis")
        expect(page.locator(".who")).to_contain_text("Hendrik Arfandi, AP., M.Si")
        page.get_by_role("button", name="Keluar").click()
        expect(page.get_by_role("heading", name="Masuk")).to_be_visible()
        page.go_back()
        page.reload()
        expect(page.get_by_role("heading", name="Masuk")).to_be_visible()
        requested: list[str] = page.requested  # type: ignore[attr-defined]
        origin = system.urls["portal"] + "/"
        elsewhere = [url for url in requested if not url.startswith(origin)]
        assert not elsewhere, f"the page fetched from outside {origin}: {elsewhere}"
    finally:
        page.context.close()


def test_every_other_screen_reads_well_on_a_desktop_and_a_phone(
    browser: Browser, system: System
) -> None:
    """The screens the procedure tests do not reach: the calendar, the administrator's pages,
    the auditor's reading of every case, and the request form answering bad input."""
    from playwright.sync_api import expect

    portal = system.urls["portal"]
    screens = {
        "subko": [("/kalender", "kalender")],
        "admin": [
            ("/admin", "admin"),
            ("/admin/pengguna", "admin-pengguna"),
            ("/admin/pengguna/baru", "admin-pengguna-baru"),
            ("/admin/pengguna/kadis", "admin-pengguna-kadis"),
            ("/admin/akun-host", "admin-akun-host"),
            ("/admin/opd", "admin-opd"),
            ("/admin/kalender", "admin-kalender"),
        ],
        "auditor": [("/kasus", "auditor-kasus"), ("/kasus?tab=arsip", "auditor-arsip")],
        "opd.dinkes": [("/permohonan/baru", "opd-formulir")],
    }
    for username, paths in screens.items():
        page = new_page(browser, system)
        try:
            sign_in(page, username)
            expect(page.locator(".who")).to_be_visible()
            for path, name in paths:
                page.goto(portal + path)
                expect(page.get_by_role("heading", level=1)).to_be_visible()
                look(page, name)
            if username == "admin":  # the last page: Kalender kerja, a form sent half filled
                page.get_by_label("Nama hari libur").fill("Hari Jadi Kota Tarakan")
                page.get_by_role("button", name="Tambah hari libur").click()
                expect(page.get_by_text("isi tanggal yang benar")).to_be_visible()
                look(page, "admin-kalender-salah")
                page.get_by_label("Tanggal", exact=True).fill("2026-12-02")
                page.get_by_label("Dasar penetapan").first.fill("Keputusan Wali Kota 100/2026")
                page.get_by_role("button", name="Tambah hari libur").click()
                expect(page.get_by_role("status")).to_have_text("Hari libur lokal ditambahkan.")
                expect(
                    page.get_by_role("cell", name="Rabu, 2 Desember 2026", exact=True)
                ).to_be_visible()
                look(page, "admin-kalender-lokal")
            if username == "opd.dinkes":
                page.get_by_role("button", name="Ajukan permohonan").click()
                expect(page.locator(".field-error").first).to_be_visible()
                look(page, "opd-formulir-salah")
            if username == "admin":  # an agency with its address (several lines) and e-mail
                page.goto(portal + "/admin/opd")
                page.get_by_label("Kode OPD").fill("DINSOS")
                page.get_by_label("Nama OPD").fill("Dinas Sosial dan Pemberdayaan Masyarakat")
                page.get_by_label("Alamat").fill(
                    "Jl. Mulawarman No. 1\nKelurahan Pamusian\nTarakan"
                )
                page.get_by_label("E-mail OPD").fill("dinsos")
                page.get_by_role("button", name="Simpan").click()
                expect(page.locator("#opd-email-salah")).to_be_visible()
                look(page, "admin-opd-salah")
                page.get_by_label("E-mail OPD").fill("dinsos@tarakankota.go.id")
                page.get_by_role("button", name="Simpan").click()
                expect(page.get_by_role("status")).to_have_text("OPD disimpan.")
                expect(page.get_by_role("cell", name="dinsos@tarakankota.go.id")).to_be_visible()
                look(page, "admin-opd-alamat")
        finally:
            page.context.close()


def test_a_case_disposed_elsewhere_appears_in_the_inbox_within_a_second_without_reloading(
    browser: Browser, system: System
) -> None:
    import time

    from tests.e2e.harness import file_request, login, wait_until
    from tests.e2e.test_procedure import case_of, future_slot

    opd, kadis = login(system, "opd.dinkes"), login(system, "kadis")
    start, end = future_slot(30, 10)
    request_id = file_request(opd, start=start, end=end, participants=20)
    wait_until(lambda: case_of(kadis, request_id), what="case opened")
    page = new_page(browser, system)
    try:
        sign_in(page, "kabid")
        row = page.locator(f'#daftar a[href="/kasus/{request_id}"]')  # the list, not a notice
        assert row.count() == 0
        page.wait_for_timeout(1000)  # the page's live connection is open
        navigations: list[str] = []
        page.on("framenavigated", lambda frame: navigations.append(frame.url))
        asked: list[float] = []
        page.on("request", lambda r: asked.append(time.monotonic()) if "/kasus" in r.url else None)
        disposed_at = time.monotonic()
        kadis.dispose(request_id, "kabid")
        row.first.wait_for(timeout=5000)
        seen_after = time.monotonic() - disposed_at
        assert not navigations, f"the page was reloaded: {navigations}"
        assert seen_after < 1.0, f"the case appeared after {seen_after:.2f} s"
        print(
            f"live: the case reached Kabid's open inbox {seen_after * 1000:.0f} ms after Kadis;"
            f" the page asked at {[round((t - disposed_at) * 1000) for t in asked]} ms"
        )
        look(page, "kabid-kotak-masuk-langsung")
    finally:
        page.context.close()
