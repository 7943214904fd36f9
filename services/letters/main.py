"""Composition root of the letters service."""

from __future__ import annotations

from fastapi import FastAPI
from pydantic_settings import BaseSettings, SettingsConfigDict

from services.letters.api import router
from services.letters.application import LettersApplication
from services.letters.consumers import consumer_specs
from services.letters.integration import to_integration
from services.letters.pdf import Office
from shared.documents import DocumentStore
from shared.runtime import ServiceRuntime, serve
from shared.settings import Settings, load_settings


class LetterSettings(BaseSettings):
    """What the letters print (``SIVICON_LETTERS_*``); the official format issue will extend it.

    ``verification_base``: where a letter's printed verification link points, followed by
    ``/<letter_id>``; empty means the portal's ``/verifikasi`` page.
    """

    model_config = SettingsConfigDict(env_prefix="SIVICON_LETTERS_", extra="ignore")

    classification: str = Office.classification
    unit_code: str = Office.unit_code
    office_address: str = Office.address
    head_title: str = Office.head_title
    head_pangkat: str = Office.head_pangkat
    head_nip: str = Office.head_nip
    verification_base: str = ""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    letter_settings = LetterSettings()
    office = Office(
        address=letter_settings.office_address,
        unit_code=letter_settings.unit_code,
        classification=letter_settings.classification,
        head_title=letter_settings.head_title,
        head_pangkat=letter_settings.head_pangkat,
        head_nip=letter_settings.head_nip,
        timezone=settings.timezone,
    )
    application = LettersApplication(
        env=settings.eventstore_env("letters"),
        documents=DocumentStore(settings.documents_dir("letters")),
        verification_base=letter_settings.verification_base
        or f"{settings.portal_url.rstrip('/')}/verifikasi",
        office=office,
    )
    runtime = ServiceRuntime(
        settings,
        "letters",
        application,
        to_integration=to_integration,
        consumers=consumer_specs(application),
    )
    api = runtime.build_api(
        "SIVICON letters",
        "Reply letters (Surat Tanggapan): drafted, signed, numbered, sent, received, verifiable.",
    )
    api.include_router(router)
    return api


def run() -> None:
    settings = load_settings()
    serve(create_app(settings), settings, "letters")
