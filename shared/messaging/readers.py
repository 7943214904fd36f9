"""Reading what the stream holds, for readers such as ``sivicon audit`` and the tests."""

from __future__ import annotations

from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from shared import subjects


async def read_subject(js: JetStreamContext, filter_subject: str = subjects.ALL) -> list[Msg]:
    """Every message now in the stream under ``filter_subject``, in stream order (for readers
    such as ``sivicon audit``; an ephemeral consumer, no acks, gone when done)."""
    try:
        info = await js.stream_info(subjects.STREAM)
    except NotFoundError:
        return []
    if info.state.messages == 0:
        return []
    sub = await js.pull_subscribe(
        filter_subject,
        stream=subjects.STREAM,
        config=ConsumerConfig(
            ack_policy=AckPolicy.NONE, deliver_policy=DeliverPolicy.ALL, inactive_threshold=10.0
        ),
    )
    out: list[Msg] = []
    try:
        while True:
            try:
                batch = await sub.fetch(500, timeout=0.5)
            except (NatsTimeoutError, TimeoutError):
                break
            out.extend(batch)
            if not batch or batch[-1].metadata.num_pending == 0:
                break
    finally:
        await sub.unsubscribe()
    return out
