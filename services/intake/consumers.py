"""Machine submissions from other government systems on ``sivicon.inbound.requests.<opd>``."""

from __future__ import annotations

from datetime import UTC, datetime

from eventsourcing.persistence import Tracking

from services.intake.application import IntakeApplication, SubmissionInvalid
from shared import subjects
from shared.envelope import MSG_ID
from shared.errors import OutOfOrder
from shared.events import Actor, FieldError
from shared.messaging import Delivery, Refused
from shared.runtime import ConsumerSpec


def _sender(opd_code: str) -> Actor:
    return Actor(
        username=f"system:{opd_code}", name=f"Sistem {opd_code}", role="system", opd_code=opd_code
    )


def consumer_specs(app: IntakeApplication) -> list[ConsumerSpec]:
    def on_inbound(delivery: Delivery) -> None:
        opd_code = delivery.subject.rsplit(".", 1)[-1].upper()
        client_ref = delivery.headers.get(MSG_ID) or None
        try:
            app.submit_json(
                opd_code=opd_code,
                body=delivery.data,
                channel="nats",
                submitted_by=_sender(opd_code),
                client_ref_hint=client_ref,
                tracking=delivery.tracking,
            )
        except SubmissionInvalid as invalid:
            raise _refuse(app, opd_code, client_ref, invalid.errors) from None
        except OutOfOrder as conflict:
            errors = [FieldError(field="client_ref", message=conflict.message)]
            raise _refuse(app, opd_code, client_ref, errors) from None

    return [ConsumerSpec("intake", [subjects.inbound_filter()], on_inbound)]


def _refuse(
    app: IntakeApplication, opd_code: str, client_ref: str | None, errors: list[FieldError]
) -> Refused:
    reason = "; ".join(f"{e.field}: {e.message}" for e in errors)

    def answer(tracking: Tracking) -> None:
        app.reject(opd_code=opd_code, client_ref=client_ref, errors=errors, tracking=tracking)

    return Refused(
        f"submission refused at {datetime.now(UTC).isoformat()}: {reason}", answer=answer
    )
