"""Benchmark: 1,000 requests through the chain up to ``SlotChecked``, and the raw JetStream
ceiling on the same server. Results go to ``tests/benchmarks/results/`` as JSON.

Each request: a machine submission on ``sivicon.inbound.requests.DINKES``; a scripted Kadis
dispositions it to Kabid and a scripted Kabid to the Sub-coordinator, over HTTP; the scheduler
checks the slot. Measured: requests per second end to end, p50/p99 of the two automated hops
(submission -> case opened; disposition to the Sub-coordinator -> ``SlotChecked``), peak memory
(VmHWM) of each service. Not a pass/fail on speed; it fails only if a request is lost.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from nats.js.api import AckPolicy, ConsumerConfig, StorageType, StreamConfig

from services.intake.domain import request_id_for
from services.launcher import BUSINESS_SERVICES, System, start_system
from shared import subjects
from tests.builders import submission
from tests.e2e.harness import demo_password
from tests.support import as_admin_of, nats_connect, read_stream

RESULTS = Path(__file__).parent / "results"
REQUESTS = int(os.environ.get("SIVICON_BENCH_REQUESTS", "1000"))
PACED_REQUESTS = int(os.environ.get("SIVICON_BENCH_PACED_REQUESTS", "100"))
PACED_RATE = float(os.environ.get("SIVICON_BENCH_PACED_RATE", "10"))
RAW_MESSAGES = int(os.environ.get("SIVICON_BENCH_RAW_MESSAGES", "5000"))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(values, 50) * 1000, 2),
        "p99_ms": round(percentile(values, 99) * 1000, 2),
        "mean_ms": round(statistics.fmean(values) * 1000, 2),
        "n": len(values),
    }


def peak_rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


async def raw_jetstream_rate(nats_url: str, count: int, payload_size: int) -> dict[str, Any]:
    """nats-py alone: publish (awaiting each ack, as the relay does) while a pull consumer
    fetches and acks; the rate is messages fully published and consumed per second."""
    nc = await nats_connect(nats_url)
    js = nc.jetstream()
    await js.add_stream(
        StreamConfig(
            name="BENCHRAW",
            subjects=["benchraw.>"],
            storage=StorageType.FILE,
            duplicate_window=120.0,
        )
    )
    sub = await js.pull_subscribe(
        "benchraw.>",
        durable="raw",
        stream="BENCHRAW",
        config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT),
    )
    payload = b"x" * payload_size
    consumed = 0

    async def consume() -> None:
        nonlocal consumed
        while consumed < count:
            try:
                messages = await sub.fetch(50, timeout=1.0)
            except nats.errors.TimeoutError:
                continue
            for message in messages:
                await message.ack()
            consumed += len(messages)

    started = time.perf_counter()
    consumer = asyncio.create_task(consume())
    for i in range(count):
        await js.publish(
            f"benchraw.{i % 16}", payload, headers={"Nats-Msg-Id": f"raw-{i}", "ce-type": "bench"}
        )
    published = time.perf_counter() - started
    await asyncio.wait_for(consumer, 120)
    total = time.perf_counter() - started
    await js.delete_stream("BENCHRAW")
    await nc.close()
    return {
        "messages": count,
        "payload_bytes": payload_size,
        "publish_per_s": round(count / published, 1),
        "publish_and_consume_per_s": round(count / total, 1),
    }


def cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    return round((int(fields[11]) + int(fields[12])) / ticks, 2)  # utime + stime


async def drive_chain(
    system: System, count: int, *, prefix: str, day_offset: int, rate: float | None = None
) -> dict[str, Any]:
    """``rate`` None: publish every submission at once (a burst: throughput, with queueing);
    else publish ``rate`` submissions per second (hop latencies of an unsaturated system)."""
    async with httpx.AsyncClient(timeout=60) as http:
        tokens = {}
        for username in ("kadis", "kabid"):
            login = await http.post(
                system.urls["portal"] + "/api/v1/auth/login",
                json={"username": username, "password": demo_password()},
            )
            login.raise_for_status()
            tokens[username] = login.json()["token"]

        base = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(
            days=day_offset
        )
        bodies = []
        for i in range(count):
            start = base + timedelta(hours=2 * i)
            bodies.append(
                submission(
                    f"{prefix}-{i:05d}",
                    start=start.isoformat(),
                    end=(start + timedelta(hours=1)).isoformat(),
                    participants=50 + (i % 400),
                )
            )
        request_ids = [str(request_id_for("DINKES", b["client_ref"])) for b in bodies]
        for body in bodies:
            body["letter"].pop("pdf_base64")  # type: ignore[attr-defined]
        published_at: dict[str, float] = {}
        opened_latency: dict[str, float] = {}
        started = time.perf_counter()
        wall_start = time.time()

        nc = await nats_connect(system.nats_url, user="agency-DINKES")
        js = nc.jetstream()

        async def publish_all() -> None:
            for body, request_id in zip(bodies, request_ids, strict=True):
                published_at[request_id] = time.time()
                await js.publish(
                    subjects.inbound_subject("DINKES"),
                    json.dumps(body).encode(),
                    headers={"Nats-Msg-Id": str(body["client_ref"])},
                )
                if rate:
                    await asyncio.sleep(1 / rate)

        pending = set(request_ids)
        expected = set(request_ids)

        async def dispose(request_id: str, username: str, to_role: str) -> None:
            response = await http.post(
                f"{system.urls['disposition']}/api/v1/cases/{request_id}/dispositions",
                json={"to_role": to_role},
                headers={"Authorization": f"Bearer {tokens[username]}"},
            )
            assert response.status_code == 201, response.text

        async def work_inbox(
            username: str,
            to_role: str,
            todo: set[str],
            on_row: Callable[[dict[str, Any]], None] | None = None,
        ) -> None:
            """A scripted official: read the inbox, dispose what waits there, repeat."""
            limiter = asyncio.Semaphore(4)

            async def one(request_id: str) -> None:
                async with limiter:
                    await dispose(request_id, username, to_role)

            while todo:
                inbox = await http.get(
                    f"{system.urls['disposition']}/api/v1/inbox",
                    params={"limit": 200},
                    headers={"Authorization": f"Bearer {tokens[username]}"},
                )
                rows = [r for r in inbox.json()["items"] if r["case_id"] in todo]
                if not rows:
                    await asyncio.sleep(0.1)
                    continue
                for row in rows:
                    todo.discard(row["case_id"])
                    if on_row:
                        on_row(row)
                await asyncio.gather(*(one(row["case_id"]) for row in rows))

        def opened(row: dict[str, Any]) -> None:
            at = datetime.fromisoformat(row["case_opened_at"]).timestamp()
            opened_latency[row["case_id"]] = at - published_at[row["case_id"]]

        await asyncio.gather(
            publish_all(),
            work_inbox("kadis", "kabid", pending, opened),
            work_inbox("kabid", "subkoordinator", set(expected)),
        )

        deadline = time.monotonic() + 600
        checked: dict[str, float] = {}
        while time.monotonic() < deadline and len(checked) < count:
            for message in await read_stream(
                system.nats_url, subjects.event_filter("scheduler", "SlotChecked")
            ):
                if message.headers["ce-subject"] not in published_at:
                    continue
                checked[message.headers["ce-subject"]] = datetime.fromisoformat(
                    message.headers["ce-time"]
                ).timestamp()
            if len(checked) < count:
                await asyncio.sleep(0.5)
        elapsed = time.perf_counter() - started
        last_check = max(checked.values()) if checked else time.time()
        disposed = {
            m.headers["ce-subject"]: datetime.fromisoformat(m.headers["ce-time"]).timestamp()
            for m in await read_stream(
                system.nats_url, subjects.event_filter("disposition", "Disposed")
            )
            if m.json["sop_step"] == 3 and m.headers["ce-subject"] in published_at
        }
        await nc.close()
        missing = sorted(set(request_ids) - set(checked))
        return {
            "mode": f"paced at {rate}/s" if rate else "burst",
            "requests": count,
            "slot_checked": len(checked),
            "missing": missing[:20],
            "elapsed_s": round(elapsed, 2),
            "requests_per_s": round(count / (last_check - wall_start), 2),
            "hop_submission_to_case_opened": summary(list(opened_latency.values())),
            "hop_disposed_to_slot_checked": summary(
                [checked[r] - disposed[r] for r in checked if r in disposed]
            ),
        }


@pytest.mark.benchmark
def test_chain_to_slot_checked_and_raw_jetstream_ceiling(tmp_path: Path) -> None:
    system = as_admin_of(
        start_system(
            tmp_path / "var",
            fixed_ports=False,
            extra_env={"SIVICON_AUTH_SECRET": "bench-" + "x" * 40, "SIVICON_LOG_FORMAT": "json"},
        )
    )
    try:
        paced = asyncio.run(
            drive_chain(system, PACED_REQUESTS, prefix="PACED", day_offset=40, rate=PACED_RATE)
        )
        chain = asyncio.run(drive_chain(system, REQUESTS, prefix="BENCH", day_offset=400))
        names = (*BUSINESS_SERVICES, "portal", "nats-server")
        memory = {n: peak_rss_mib(system.children[n].process.pid) for n in names}
        cpu = {n: cpu_seconds(system.children[n].process.pid) for n in names}
        raw = asyncio.run(raw_jetstream_rate(system.nats_url, RAW_MESSAGES, 1200))
    finally:
        system.stop()
    # Each request is 5 stream messages up to SlotChecked (inbound, RequestSubmitted,
    # 2 x Disposed, SlotChecked); the ratio compares like with like.
    messages_per_s = chain["requests_per_s"] * 5
    result = {
        "benchmark": "chain_to_slot_checked",
        "at": datetime.now(UTC).isoformat(),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "chain": chain,
        "paced": paced,
        "peak_rss_mib": memory,
        "cpu_seconds": cpu,
        "raw_jetstream": raw,
        "ratio_chain_messages_to_raw": round(messages_per_s / raw["publish_and_consume_per_s"], 4),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "chain_to_slot_checked.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    assert chain["missing"] == [], f"{REQUESTS - chain['slot_checked']} requests lost"
    assert chain["slot_checked"] == REQUESTS
    assert paced["missing"] == []
