"""The disposition service's composition root: settings -> application -> relay, consumer, API."""

from __future__ import annotations

from fastapi import FastAPI

from services.disposition import calendar_api
from services.disposition.api import router
from services.disposition.application import DispositionApplication
from services.disposition.integration import to_integration
from shared.datadir import keep_private
from shared.runtime import compose, serve
from shared.settings import Settings, load_settings

SERVICE = "disposition"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or load_settings()
    keep_private(settings.data_dir)
    application = DispositionApplication(
        env=settings.eventstore_env(SERVICE), timezone=settings.timezone
    )
    api = compose(
        settings,
        SERVICE,
        application,
        title="SIVICON disposition",
        description="The case of each request: dispositions down the chain (SOP steps 2-8), the "
        "audit history of all ten steps, the Lembar Disposisi, and each role's inbox.",
        router=router,
        to_integration=to_integration,
        # A step left open past its deadline is reported while it is still open.
        periodic=[(30.0, application.flag_overdue_cases)],
    )
    api.include_router(calendar_api.router)  # the office's holidays and hours (admin)
    return api


def run() -> None:
    settings = load_settings()
    serve(create_app(settings), settings, SERVICE)
