"""The OPD's request page warns when the same letter was filed before: the portal asks intake
for that request's duplicates (intake decides, scoped to who may read the request) and words the
warning as before."""

from __future__ import annotations

from pathlib import Path

import httpx

from services.intake.main import create_app as create_intake
from services.launcher import free_port
from tests.builders import request_form
from tests.integration.test_portal_admin import client_of, portal, sign_in
from tests.pdfs import make_pdf
from tests.support import auth, make_settings, serving

WARNING = "Perhatian: surat ini (nomor surat atau berkas PDF yang sama) sudah pernah diajukan OPD"


async def test_the_request_page_names_the_same_letter_filed_before(
    tmp_path: Path, nats_url: str
) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"  # the page does without the other services
    intake_port = free_port()
    settings = make_settings(
        tmp_path / "var",
        nats_url,
        intake_url=f"http://127.0.0.1:{intake_port}",
        disposition_url=nowhere,
        letters_url=nowhere,
        scheduler_url=nowhere,
    )
    with serving(create_intake(settings), port=intake_port) as intake_url:
        async with httpx.AsyncClient(base_url=intake_url) as intake:

            async def filed(number: str, pdf: str, opd: str = "DINKES") -> str:
                answer = await intake.post(
                    "/api/v1/requests",
                    data=request_form(letter_number=number, topic=f"Rapat {pdf}"),
                    files={"letter_pdf": ("surat.pdf", make_pdf(pdf), "application/pdf")},
                    headers=auth(settings, "opd", opd),
                )
                assert answer.status_code == 201, answer.text
                request_id: str = answer.json()["request_id"]
                return request_id

            first = await filed("800/412/DINKES", "surat A")
            same_pdf = await filed("800/413/DINKES", "surat A")
            alone = await filed("800/414/DINKES", "surat B")
            await filed("800/414/DINKES", "surat B", opd="DISDIK")  # another agency's

        async with client_of(portal(settings)) as opd:
            assert (await sign_in(opd, "opd.dinkes")).status_code == 303
            page = await opd.get(f"/permohonan/{first}")
            assert page.status_code == 200
            assert WARNING in page.text
            warning = page.text[page.text.index(WARNING) :]
            warning = warning[: warning.index("</ul>")]
            assert f'href="/permohonan/{same_pdf}"' in warning
            assert "Rapat surat A" in warning
            assert "berkas PDF sama" in warning
            assert "nomor surat sama" not in warning
            assert warning.count("<li>") == 1

            page = await opd.get(f"/permohonan/{alone}")
            assert page.status_code == 200
            assert WARNING not in page.text  # DISDIK's letter of the same number is not DINKES's
