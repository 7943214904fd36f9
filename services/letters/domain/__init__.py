"""The reply letter (Surat Tanggapan): what the letters service knows of a request
(:mod:`.request_file`), the letters drafted for it and the office's letter register that
numbers them (:mod:`.letter`).

* :class:`RequestFile` (id = the request's ID): the facts a letter needs, learnt from events,
  and the rules of who drafts, sends and receives which reply, when.
* :class:`Letter` (id = a fresh UUID): one draft, sent once, received once.
* :class:`LetterRegister` (id derived from unit and year): serial numbers without gaps.

State is typed (:mod:`services.letters.values`), built in the mutators from the stored events'
fields; the stored events keep JSON-shaped primitives, so that existing stores replay. A fact
already known is not recorded again (a redelivered or republished event changes nothing).
The names are re-exported here, so ``from services.letters.domain import X`` is the way in.
"""

from __future__ import annotations

from eventsourcing.domain import Aggregate

from services.letters.domain.letter import REGISTER_NAMESPACE, Letter, LetterRegister, register_id
from services.letters.domain.request_file import (
    HAL,
    MEETING_PROVIDED,
    SCHEDULE_FULL,
    RequestFile,
    check_drafter,
)
from shared.eventstore import keep_old_topics

__all__ = [
    "HAL",
    "MEETING_PROVIDED",
    "REGISTER_NAMESPACE",
    "SCHEDULE_FULL",
    "Letter",
    "LetterRegister",
    "RequestFile",
    "check_drafter",
    "register_id",
]

AGGREGATES: tuple[type[Aggregate], ...] = (RequestFile, Letter, LetterRegister)


# These aggregates lived in the single module ``services.letters.domain`` until it became this
# package: the stores of existing installations name them by their old topics
# (``tests/integration/test_letters_stored_events.py``).
keep_old_topics(__name__, AGGREGATES)
