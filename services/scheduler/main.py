"""The scheduler's composition root: settings -> Zoom provider -> application -> API with its
runtime (the relay, the consumer of its policy, the Zoom cleanup job)."""

from __future__ import annotations

from datetime import date

from fastapi import FastAPI

from services.scheduler.api import router
from services.scheduler.application import SchedulerApplication
from services.scheduler.integration import to_integration
from services.scheduler.zoom import MeetingProvider, ZoomProvider
from shared.calendar import national_days_off
from shared.datadir import keep_private
from shared.runtime import compose, serve
from shared.settings import Settings, load_settings

SERVICE = "scheduler"


def zoom_provider(settings: Settings) -> ZoomProvider:
    return ZoomProvider(
        api_url=settings.zoom_api_url,
        oauth_url=settings.zoom_oauth_url,
        account_id=settings.zoom_account_id,
        client_id=settings.zoom_client_id,
        client_secret=settings.zoom_client_secret.get_secret_value(),
    )


def create_app(
    settings: Settings | None = None, provider: MeetingProvider | None = None
) -> FastAPI:
    settings = settings or load_settings()
    keep_private(settings.data_dir)
    this_year = date.today().year
    application = SchedulerApplication(
        env=settings.eventstore_env(SERVICE),
        provider=provider or zoom_provider(settings),
        # The national days off of this year and the next two (local changes are disposition's).
        non_working_days=frozenset(
            day for year in range(this_year, this_year + 3) for day in national_days_off(year)
        ),
        buffer_minutes=settings.slot_buffer_minutes,
        timezone=settings.timezone,
    )
    if settings.demo_data:
        application.seed_demo_host_accounts()
    return compose(
        settings,
        SERVICE,
        application,
        title="SIVICON scheduler",
        description="Licensed Zoom host accounts, the schedule check and hold (SOP step 4) and "
        "the meeting (SOP step 5).",
        router=router,
        to_integration=to_integration,
        # Meetings of withdrawn requests are deleted at Zoom outside the consumer.
        periodic=[(30.0, application.delete_cancelled_meetings)],
    )


def run() -> None:
    settings = load_settings()
    serve(create_app(settings), settings, SERVICE)
