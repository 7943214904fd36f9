"""The fault campaign (``campaign.py``): 1,000 requests while services and nats-server are
killed, frozen and restarted; then the checker's invariants. Figures in ``results/``.

``SIVICON_FAULT_REQUESTS``, ``SIVICON_FAULT_FAULTS`` and ``SIVICON_FAULT_SEED`` make it longer
or different; the default run is the one CI makes.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from services.launcher import start_system
from tests.faults.campaign import CampaignConfig, run_campaign
from tests.support import as_admin_of

RESULTS = Path(__file__).parent / "results"


@pytest.mark.timeout(900)
def test_fault_campaign_loses_duplicates_and_reorders_nothing(tmp_path: Path) -> None:
    config = CampaignConfig.from_env()
    system = start_system(
        tmp_path / "var",
        fixed_ports=False,
        extra_env={
            "SIVICON_AUTH_SECRET": "faults-" + "x" * 40,
            "SIVICON_CONSUMER_ACK_WAIT_SECONDS": str(config.ack_wait_seconds),
            "SIVICON_LOG_FORMAT": "json",
        },
    )
    as_admin_of(system)
    try:
        result = asyncio.run(run_campaign(system, config))
    finally:
        system.stop()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "fault_campaign.json").write_text(json.dumps(result, indent=2))
    print(json.dumps({k: v for k, v in result.items() if k != "faults"}, indent=2))
    verdict = result["verdict"]
    assert verdict["faults_injected"] == config.faults
    assert verdict["faults_unrecovered"] == 0, result["faults"]
    for invariant in (
        "lost",
        "duplicated",
        "out_of_order",
        "holds_without_live_case",
        "meetings_deleted_of_provided_cases",
        "cases_stuck",
        "skipped_by_consumers",
    ):
        assert verdict[invariant] == 0, (invariant, verdict["details"])
