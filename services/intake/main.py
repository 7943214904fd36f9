"""Composition root of the intake service."""

from __future__ import annotations

from fastapi import FastAPI

from services.intake.api import router
from services.intake.application import IntakeApplication
from services.intake.consumers import consumer_specs
from services.intake.integration import to_integration
from shared.documents import DocumentStore
from shared.runtime import ServiceRuntime, serve
from shared.settings import Settings, load_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    application = IntakeApplication(
        env=settings.eventstore_env("intake"),
        documents=DocumentStore(settings.documents_dir("intake")),
        timezone=settings.timezone,
    )
    if settings.demo_data:
        application.seed_demo_agencies()
    runtime = ServiceRuntime(
        settings,
        "intake",
        application,
        to_integration=to_integration,
        consumers=consumer_specs(application),
    )
    api = runtime.build_api(
        "SIVICON intake", "Request letters for Zoom meetings: filed by OPD staff or by machine."
    )
    api.include_router(router)
    return api


def run() -> None:
    settings = load_settings()
    serve(create_app(settings), settings, "intake")
