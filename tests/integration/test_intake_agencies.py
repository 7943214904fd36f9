"""The agencies (OPD) with their address and e-mail: a store written before agencies had either
still replays (the rows below are what the previous ``AgencyRegistry`` recorded), changes are
added to it as version 2 of ``Registered``, and the API answers both the old shape (names by
code) and the new one (details)."""

from __future__ import annotations

import json
from pathlib import Path

from eventsourcing.persistence import StoredEvent

from services.intake.application import IntakeApplication
from services.intake.domain import REGISTRY_ID
from services.intake.main import create_app
from services.intake.values import Agency
from shared.documents import DocumentStore
from shared.settings import Settings
from tests.support import auth, running

# (version, event class, stored state) as the code before addresses were kept wrote them.
# ruff: noqa: E501 (each row is one stored event, as recorded)
# fmt: off
ROWS = [
    (1, "AgencyRegistry.Opened",
     '{"timestamp":{"_type_":"datetime_iso","_data_":"2026-11-30T06:27:48.033350+00:00"},"originator_topic":"services.intake.domain:AgencyRegistry"}'),
    (2, "AgencyRegistry.Registered",
     '{"timestamp":{"_type_":"datetime_iso","_data_":"2026-11-30T06:27:48.033589+00:00"},"code":"DINKES","name":"Dinas Kesehatan"}'),
    (3, "AgencyRegistry.Registered",
     '{"timestamp":{"_type_":"datetime_iso","_data_":"2026-11-30T06:27:48.033668+00:00"},"code":"DINSOS","name":"Dinas Sosial"}'),
    (4, "AgencyRegistry.Registered",
     '{"timestamp":{"_type_":"datetime_iso","_data_":"2026-11-30T06:27:48.033696+00:00"},"code":"DINSOS","name":"Dinas Sosial dan PM"}'),
]
# fmt: on
ADDRESS = "Jl. Jenderal Sudirman No. 76\nTarakan, Kalimantan Utara"


def _app(store_env: dict[str, str], tmp_path: Path) -> IntakeApplication:
    return IntakeApplication(env=store_env, documents=DocumentStore(tmp_path / "docs"))


def test_a_store_written_before_addresses_replays_and_takes_them(
    store_env: dict[str, str], tmp_path: Path
) -> None:
    old = _app(store_env, tmp_path)
    old.recorder.insert_events(
        [
            StoredEvent(
                originator_id=REGISTRY_ID,
                originator_version=version,
                topic=f"services.intake.domain:{topic}",
                state=state.encode(),
            )
            for version, topic, state in ROWS
        ]
    )
    assert old.agencies() == {"DINKES": "Dinas Kesehatan", "DINSOS": "Dinas Sosial dan PM"}
    assert old.agency_details() == [
        Agency("DINKES", "Dinas Kesehatan"),
        Agency("DINSOS", "Dinas Sosial dan PM"),
    ]

    old.register_agency("DINSOS", "Dinas Sosial dan PM", ADDRESS, "dinsos@tarakankota.go.id")
    old.register_agency("DINSOS", "Dinas Sosial")  # a client that knows no address renames
    stored = old.recorder.select_events(REGISTRY_ID)
    assert [e.originator_version for e in stored] == [1, 2, 3, 4, 5, 6]
    assert json.loads(stored[4].state)["class_version"] == 2
    assert json.loads(stored[4].state)["address"] == ADDRESS

    again = _app(store_env, tmp_path)  # another process, reading the same store from the start
    assert again.agency("dinsos") == Agency(
        "DINSOS", "Dinas Sosial", ADDRESS, "dinsos@tarakankota.go.id"
    )
    assert again.agency("DINKES") == Agency("DINKES", "Dinas Kesehatan")
    assert again.agencies() == {"DINKES": "Dinas Kesehatan", "DINSOS": "Dinas Sosial"}


def test_seeding_the_demo_agencies_again_changes_nothing_recorded(
    store_env: dict[str, str], tmp_path: Path
) -> None:
    app = _app(store_env, tmp_path)
    app.seed_demo_agencies()
    app.register_agency("DINKES", "Dinas Kesehatan", ADDRESS, "dinkes@tarakankota.go.id")
    recorded = len(app.recorder.select_events(REGISTRY_ID))
    _app(store_env, tmp_path).seed_demo_agencies()
    assert len(app.recorder.select_events(REGISTRY_ID)) == recorded
    assert app.agency("DINKES").address == ADDRESS


async def test_the_api_keeps_names_by_code_and_adds_the_details(settings: Settings) -> None:
    async with running(create_app(settings)) as client:
        admin, opd, kadis = (auth(settings, r) for r in ("admin", "opd", "kadis"))
        before = (await client.get("/api/v1/agencies", headers=opd)).json()
        assert before["DINKES"] == "Dinas Kesehatan"
        assert all(isinstance(name, str) for name in before.values())

        body = {
            "code": "dinsos",
            "name": "Dinas Sosial",
            "address": "Jl. Mulawarman No. 1\r\n\r\nTarakan",
            "email": "dinsos@tarakankota.go.id",
        }
        refused = await client.post("/api/v1/agencies", json=body, headers=opd)
        assert refused.status_code == 403
        bad = await client.post(
            "/api/v1/agencies", json={**body, "email": "dinsos@tarakan"}, headers=admin
        )
        assert bad.status_code == 422
        error = bad.json()["error"]
        assert error["pesan"] == "alamat e-mail OPD 'dinsos@tarakan' tidak valid"
        assert error["details"] == [{"field": "email", "message": "not an e-mail address"}]
        added = await client.post("/api/v1/agencies", json=body, headers=admin)
        assert added.status_code == 201
        assert added.json() == {**before, "DINSOS": "Dinas Sosial"}  # names by code, as before
        # Renamed as before addresses were kept: the address and e-mail stay.
        renamed = {"code": "DINSOS", "name": "Dinas Sosial dan PM"}
        assert (await client.post("/api/v1/agencies", json=renamed, headers=admin)).is_success

        one = await client.get("/api/v1/agencies/DINSOS", headers=kadis)
        assert one.json() == {
            "code": "DINSOS",
            "name": "Dinas Sosial dan PM",
            "address": "Jl. Mulawarman No. 1\nTarakan",
            "email": "dinsos@tarakankota.go.id",
        }
        details = (await client.get("/api/v1/agencies/details", headers=opd)).json()
        assert [d["code"] for d in details] == sorted([*before, "DINSOS"])
        assert {d["code"]: d["name"] for d in details} == {
            **before,
            "DINSOS": "Dinas Sosial dan PM",
        }
        assert details[[d["code"] for d in details].index("DINKES")]["address"] == ""
        unknown = await client.get("/api/v1/agencies/NOSUCH", headers=opd)
        assert unknown.status_code == 404
        assert unknown.json()["error"]["pesan"] == "OPD 'NOSUCH' tidak dikenal"
        assert (await client.get("/api/v1/agencies/details")).status_code == 401
