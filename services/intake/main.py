"""Composition root of the intake service."""

from __future__ import annotations

from fastapi import FastAPI

from services.intake.api import router
from services.intake.application import IntakeApplication
from services.intake.consumers import consumer_specs
from services.intake.integration import to_integration
from shared.datadir import keep_private
from shared.documents import DocumentStore
from shared.runtime import compose, serve
from shared.settings import Settings, load_settings
from shared.signing import Keyring


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    keep_private(settings.data_dir)
    application = IntakeApplication(
        env=settings.eventstore_env("intake"),
        documents=DocumentStore(settings.documents_dir("intake")),
        timezone=settings.timezone,
    )
    if settings.demo_data:
        application.seed_demo_agencies()
    keyring = Keyring()  # loaded when the service starts
    return compose(
        settings,
        "intake",
        application,
        title="SIVICON intake",
        description="Request letters for Zoom meetings: filed by OPD staff or by machine.",
        router=router,
        to_integration=to_integration,
        consumers=consumer_specs(application, keyring),
        keyring=keyring,
    )


def run() -> None:
    settings = load_settings()
    serve(create_app(settings), settings, "intake")
