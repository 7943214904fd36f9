"""The office's working calendar over the disposition service's HTTP API: anyone signed in reads
a year, only the administrator changes it, and a local holiday moves the deadline of a pending
step 8 while a deadline already recorded stays as it was."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI

from services.disposition import calendar_keeper
from services.disposition.application import DispositionApplication
from services.disposition.main import create_app
from services.launcher import free_port
from services.portal.backend import Backend
from services.portal.main import create_app as create_portal
from services.portal.throttle import SignInGuard
from shared.calendar import DayOff, WorkingCalendar
from shared.settings import Settings
from tests.builders import letter_drafted, meeting_created, person, slot_checked, submitted
from tests.integration.test_disposition_application import deliver
from tests.integration.test_portal_admin import Leaping, signed_in_as
from tests.support import auth, make_settings, serving

YEAR = "/api/v1/calendar/2026"


@contextlib.asynccontextmanager
async def client_of(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The API without its lifespan: no NATS, only the routes and the store."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


def settings_in(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "var", "nats://127.0.0.1:1")  # never connected


def case_at_step_8(app: DispositionApplication) -> UUID:
    """A case whose draft the Kabid has just received (step 7 done): step 8 is pending."""
    event = submitted(at=datetime.now(UTC))
    request_id = event.request_id
    deliver(app, event, f"e-{request_id}-submitted")
    app.dispose(request_id, person("kadis"), "kabid")
    app.dispose(request_id, person("kabid"), "subkoordinator")
    now = datetime.now(UTC)
    deliver(app, slot_checked(request_id, available=True, at=now), f"e-{request_id}-slot")
    app.dispose(request_id, person("subkoordinator"), "staf")
    deliver(app, meeting_created(request_id, at=now), f"e-{request_id}-meeting")
    app.dispose(request_id, person("staf"), "subkoordinator")
    deliver(app, letter_drafted(request_id, uuid4(), at=now), f"e-{request_id}-draft")
    app.dispose(request_id, person("subkoordinator"), "kabid")
    return request_id


async def test_anyone_signed_in_reads_the_year_and_only_the_admin_changes_it(
    tmp_path: Path,
) -> None:
    settings = settings_in(tmp_path)
    async with client_of(create_app(settings)) as client:
        year = await client.get(YEAR, headers=auth(settings, "opd"))
        assert year.status_code == 200, year.text
        body = year.json()
        sources = [d["source"] for d in body["days_off"]]
        assert (sources.count("nasional"), sources.count("cuti bersama")) == (17, 8)
        assert body["working_days"] == []
        assert body["office_hours"]["set_by"] is None
        friday = body["office_hours"]["week"][4]
        assert (friday["name"], friday["opens"], friday["closes"]) == (
            "Jumat",
            "07:30:00",
            "11:00:00",
        )
        assert (await client.get(YEAR)).status_code == 401

        holiday = {"day": "2026-12-02", "name": "Hari Jadi Kota Tarakan", "decree": "SK 100/2026"}
        hours = {"week": [{"opens": "08:00", "closes": "15:00"}] * 5 + [None, None]}
        for role in ("kadis", "kabid", "operator"):
            refused = [
                await client.post(
                    "/api/v1/calendar/holidays", json=holiday, headers=auth(settings, role)
                ),
                await client.post(
                    "/api/v1/calendar/working-days",
                    json={"day": "2026-12-24", "reason": "SKB"},
                    headers=auth(settings, role),
                ),
                await client.delete(
                    "/api/v1/calendar/changes/2026-12-02", headers=auth(settings, role)
                ),
                await client.put(
                    "/api/v1/calendar/office-hours", json=hours, headers=auth(settings, role)
                ),
            ]
            for answer in refused:
                error = answer.json()["error"]
                assert (answer.status_code, error["code"]) == (403, "wrong_role"), role
                assert "hanya untuk Administrator" in error["pesan"]
        assert (await client.get(YEAR, headers=auth(settings, "kadis"))).json() == body

        admin = auth(settings, "admin")
        declared = await client.post("/api/v1/calendar/holidays", json=holiday, headers=admin)
        assert declared.status_code == 201, declared.text
        assert declared.json()["by"]["username"] == "admin"
        moved = await client.post(
            "/api/v1/calendar/working-days",
            json={"day": "2026-12-24", "reason": "SKB perubahan cuti bersama"},
            headers=admin,
        )
        assert moved.status_code == 201, moved.text
        set_hours = await client.put("/api/v1/calendar/office-hours", json=hours, headers=admin)
        assert set_hours.status_code == 200, set_hours.text

        after = (await client.get(YEAR, headers=auth(settings, "staf"))).json()
        by_day = {d["day"]: d for d in after["days_off"]}
        assert by_day["2026-12-02"]["source"] == "lokal"
        assert by_day["2026-12-02"]["decree"] == "SK 100/2026"
        assert "2026-12-24" not in by_day
        [working] = after["working_days"]
        assert (working["day"], working["replaces"]) == (
            "2026-12-24",
            "Cuti Bersama Hari Raya Natal",
        )
        assert after["office_hours"]["set_by"]["username"] == "admin"
        assert after["office_hours"]["week"][0]["opens"] == "08:00:00"

        twice = await client.post("/api/v1/calendar/holidays", json=holiday, headers=admin)
        assert (twice.status_code, twice.json()["error"]["code"]) == (422, "already_changed")
        assert twice.json()["error"]["details"][0]["field"] == "date"
        national = await client.post(
            "/api/v1/calendar/holidays", json={**holiday, "day": "2026-08-17"}, headers=admin
        )
        assert national.status_code == 422
        assert "sudah hari libur" in national.json()["error"]["pesan"]
        backwards = await client.put(
            "/api/v1/calendar/office-hours",
            json={"week": [{"opens": "16:00", "closes": "07:30"}] + [None] * 6},
            headers=admin,
        )
        assert backwards.status_code == 422
        assert "jam buka hari Senin" in backwards.json()["error"]["pesan"]
        assert (await client.get("/api/v1/calendar/1999", headers=admin)).status_code == 422

        withdrawn = await client.delete(
            "/api/v1/calendar/changes/2026-12-02", params={"reason": "salah tanggal"}, headers=admin
        )
        assert withdrawn.status_code == 200
        assert withdrawn.json()["kind"] == "holiday"
        again = await client.delete("/api/v1/calendar/changes/2026-12-02", headers=admin)
        assert (again.status_code, again.json()["error"]["code"]) == (404, "no_local_change")
        final = (await client.get(YEAR, headers=admin)).json()
        assert "2026-12-02" not in {d["day"] for d in final["days_off"]}


async def test_a_local_holiday_moves_a_pending_deadline_but_not_a_recorded_one(
    tmp_path: Path,
) -> None:
    settings = settings_in(tmp_path)
    api = create_app(settings)
    app: DispositionApplication = api.state.application
    case_id = case_at_step_8(app)
    received = app.get_case(case_id, person("auditor"))
    before = received.due_at
    assert before is not None
    assert [row.due_at for row in app.cases.rows()] == [before]

    # The day the draft falls due is made a local holiday: it is due one working day later.
    due_day = before.astimezone(ZoneInfo(app.calendar.timezone)).date()
    async with client_of(api) as client:
        admin = auth(settings, "admin")
        holiday = {"day": due_day.isoformat(), "name": "Libur daerah", "decree": "SE 1/2026"}
        declared = await client.post("/api/v1/calendar/holidays", json=holiday, headers=admin)
        assert declared.status_code == 201, declared.text

        case = await client.get(f"/api/v1/cases/{case_id}", headers=auth(settings, "kabid"))
        after = datetime.fromisoformat(case.json()["due_at"])
        step_7_at = app.history(case_id, person("auditor")).sla.step_8.started_at
        assert step_7_at is not None
        local = DayOff(due_day, "Libur daerah", "lokal")
        expected = WorkingCalendar(local_holidays=frozenset({local})).add_working_days(step_7_at, 1)
        assert after == expected
        assert after - before >= timedelta(days=1)
        # The inbox's rows were counted again with the new calendar, and so is the overdue check.
        assert [row.due_at for row in app.cases.rows()] == [after]
        assert app.flag_overdue_cases(now=before + timedelta(minutes=1)) == 0

        # Step 8 done: its deadline is recorded and no later change of the calendar moves it.
        app.dispose(case_id, person("kabid"), "kadis")
        withdrawn = await client.delete(
            f"/api/v1/calendar/changes/{due_day.isoformat()}", headers=admin
        )
        assert withdrawn.status_code == 200
        sla = app.history(case_id, person("auditor")).sla.step_8
        assert (sla.completed, sla.deadline) == (True, after)


async def test_the_admin_keeps_the_calendar_on_the_kalender_kerja_page(tmp_path: Path) -> None:
    port = free_port()
    settings = make_settings(
        tmp_path / "var", "nats://127.0.0.1:1", disposition_url=f"http://127.0.0.1:{port}"
    )
    with serving(create_app(settings), port=port, lifespan="off"):
        portal = create_portal(settings)
        portal.state.sign_in_guard = SignInGuard(clock=Leaping())
        async with httpx.AsyncClient(trust_env=False) as http, client_of(portal) as client:
            portal.state.backend = Backend(settings, http)
            csrf = await signed_in_as(client, "admin")
            assert 'href="/admin/kalender"' in (await client.get("/admin")).text
            page = await client.get("/admin/kalender?tahun=2026")
            assert page.status_code == 200
            assert "Senin, 16 Februari 2026" in page.text
            assert "Cuti Bersama Tahun Baru Imlek" in page.text
            assert 'value="07.30"' in page.text

            holiday = {
                "csrf": csrf,
                "tahun": "2026",
                "libur_tanggal": "2026-12-02",
                "libur_nama": "Hari Jadi Kota Tarakan",
                "libur_dasar": "Keputusan Wali Kota Tarakan Nomor 100/2026",
            }
            bad = await client.post(
                "/admin/kalender/libur", data={**holiday, "libur_tanggal": "", "libur_nama": ""}
            )
            assert bad.status_code == 422
            assert "isi tanggal yang benar" in bad.text
            assert "nama hari libur wajib diisi" in bad.text
            added = await client.post("/admin/kalender/libur", data=holiday)
            assert (added.status_code, added.headers["location"]) == (
                303,
                "/admin/kalender?tahun=2026&ok=libur-ditambah",
            )
            shown = (await client.get(added.headers["location"])).text
            assert "Hari libur lokal ditambahkan." in shown
            assert "Rabu, 2 Desember 2026" in shown
            assert "Keputusan Wali Kota Tarakan Nomor 100/2026" in shown
            national = await client.post(
                "/admin/kalender/libur", data={**holiday, "libur_tanggal": "2026-08-17"}
            )
            assert national.status_code == 422
            assert "sudah hari libur: Hari Kemerdekaan" in national.text  # the service's pesan

            moved = await client.post(
                "/admin/kalender/hari-kerja",
                data={
                    "csrf": csrf,
                    "tahun": "2026",
                    "kerja_tanggal": "2026-12-24",
                    "kerja_dasar": "SKB perubahan",
                },
            )
            assert moved.status_code == 303
            hours = {f"jam_{i}_{end}": "" for i in range(7) for end in ("buka", "tutup")}
            backwards = await client.post(
                "/admin/kalender/jam-kerja",
                data={"csrf": csrf, "tahun": "2026", **hours, "jam_0_buka": "16.00"}
                | {"jam_0_tutup": "07.30"},
            )
            assert backwards.status_code == 422
            assert "hari Senin: jam buka harus sebelum jam tutup" in backwards.text
            monday_only = {**hours, "jam_0_buka": "08.00", "jam_0_tutup": "15.30"}
            saved = await client.post(
                "/admin/kalender/jam-kerja", data={"csrf": csrf, "tahun": "2026", **monday_only}
            )
            assert saved.status_code == 303
            withdrawn = await client.post(
                "/admin/kalender/cabut",
                data={"csrf": csrf, "tahun": "2026", "tanggal": "2026-12-02"},
            )
            assert withdrawn.status_code == 303
            final = (await client.get("/admin/kalender?tahun=2026")).text
            assert "Rabu, 2 Desember 2026" not in final
            assert "SKB perubahan" in final
            assert 'value="08.00"' in final
            assert "Terakhir diatur oleh" in final

            client.cookies.clear()
            await signed_in_as(client, "kadis")
            refused = await client.get("/admin/kalender")
            assert refused.status_code == 403


def test_a_change_made_by_another_replica_is_counted_with(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(calendar_keeper, "RECHECK_SECONDS", 0.0)
    env = make_settings(tmp_path / "var", "nats://127.0.0.1:1").eventstore_env("disposition")
    here, there = DispositionApplication(env=env), DispositionApplication(env=env)
    start = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # Tuesday 10.00 WITA
    assert here.calendar.add_working_days(start, 1) == start + timedelta(days=1)
    there.office_calendar.declare_holiday(
        date(2026, 12, 2), "Libur daerah", "SE 1/2026", person("admin")
    )
    assert here.calendar.add_working_days(start, 1) == start + timedelta(days=2)
