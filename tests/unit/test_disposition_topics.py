"""The topics the Case's events are stored under: stores written before must still load.

Events are stored by topic (``module:Class.Event``), so moving or renaming the Case or one of its
events orphans every store written before. Each topic below must keep resolving to its class; a
move must register the old topic (``eventsourcing.utils.register_topic``) to keep this passing.
"""

from __future__ import annotations

import pytest
from eventsourcing.domain import CanMutateAggregate
from eventsourcing.utils import get_topic, resolve_topic

from services.disposition.domain import Case

STORED_TOPICS = {
    "services.disposition.domain:Case": Case,
    "services.disposition.domain:Case.Opened": Case.Opened,
    "services.disposition.domain:Case.Disposed": Case.Disposed,
    "services.disposition.domain:Case.SlotCheckRecorded": Case.SlotCheckRecorded,
    "services.disposition.domain:Case.MeetingRecorded": Case.MeetingRecorded,
    "services.disposition.domain:Case.LetterDraftRecorded": Case.LetterDraftRecorded,
    "services.disposition.domain:Case.LetterSentRecorded": Case.LetterSentRecorded,
    "services.disposition.domain:Case.LetterReceiptRecorded": Case.LetterReceiptRecorded,
    "services.disposition.domain:Case.DraftReturned": Case.DraftReturned,
    "services.disposition.domain:Case.WithdrawalRecorded": Case.WithdrawalRecorded,
    "services.disposition.domain:Case.WithdrawalRefused": Case.WithdrawalRefused,
    "services.disposition.domain:Case.SlaBreachRecorded": Case.SlaBreachRecorded,
    "services.disposition.domain:Case.Closed": Case.Closed,
}


@pytest.mark.parametrize("topic", sorted(STORED_TOPICS))
def test_a_topic_stored_before_still_resolves_to_its_class(topic: str) -> None:
    assert resolve_topic(topic) is STORED_TOPICS[topic]


def test_every_event_the_case_records_has_a_pinned_topic() -> None:
    events = {
        get_topic(value)
        for name, value in vars(Case).items()
        if isinstance(value, type)
        and issubclass(value, CanMutateAggregate)
        and name not in ("Event", "Created")  # the library's bases, never stored
    }
    assert events == set(STORED_TOPICS) - {"services.disposition.domain:Case"}
