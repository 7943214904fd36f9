"""Disposition's domain: the Case, the record of SOP 067/32/SOP/DKISP/2022 for one request.

A case is opened by the request letter (step 1) and moves down the office's chain by
dispositions (steps 2, 3, 4, 6, 7, 8) and by what the other services tell it (the schedule check,
the meeting of step 5, the reply letter drafted, sent (step 9, or step 4 when the schedule is
full) and received (step 10), the withdrawal). Its ID is the request's. Every change is a new
record (:class:`Record`: SOP step, kind, who, when, to whom, instruction, note, sifat,
references, SLA figures); records are only ever appended. The case closes when its outcome's
path is complete, and refuses to close while a step of it is missing.

A withdrawal is the OPD's request, and the case decides it: while the case is open it closes the
case as ``withdrawn``; once the case is closed it is refused, and the refusal is recorded (who
asked, why, when, and the outcome that stands) so that the history shows the OPD asked and the
case said no. The other services act on ``CaseClosed``, not on the withdrawal.

The aggregate, its guards and commands are in :mod:`.case`; what each stored event adds in
:mod:`.events`; the recorded values in :mod:`.values`; the refusals in :mod:`.refusals`. The time
limits are counted by the pure functions of :mod:`services.disposition.sla`, the procedure's
tables are in :mod:`shared.procedure`. The names are re-exported here, so
``from services.disposition.domain import X`` is the way in.
"""

from __future__ import annotations

from services.disposition.domain.case import Case
from services.disposition.domain.values import (
    STEP_KINDS,
    Closure,
    Draft,
    Meeting,
    Record,
    RequestDetails,
    SentLetter,
    SlotCheck,
)

__all__ = [
    "STEP_KINDS",
    "Case",
    "Closure",
    "Draft",
    "Meeting",
    "Record",
    "RequestDetails",
    "SentLetter",
    "SlotCheck",
]
