"""The account's ledgers: cursor pages from the simulator, totals, the CLI and the report flow."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from pydantic import ValidationError

from prefect_kling.exceptions import KlingValidationError
from prefect_kling.flows import account_report
from prefect_kling.models.ledger import LedgerQuery, ledger_totals
from prefect_kling.simulator import KlingSimulator
from tests import test_flows
from tests.test_cli import run
from tests.test_flows import artifacts, flow_run_id

pytestmark = pytest.mark.e2e

make_sim, held_slots = test_flows.make_sim, test_flows.held_slots


@pytest.fixture
def sim(make_sim: Any) -> KlingSimulator:
    """A simulator that has run three tasks: two videos (kling-v1, kling-v1-6), one image."""
    simulator = make_sim(queue_seconds=0.0, processing_seconds=0.05)
    with simulator.credentials().get_client() as client:
        client.create("text2video", {"prompt": "a fox"})
        client.create("text2video", {"prompt": "a cat", "model_name": "kling-v1-6"})
        client.create("image-generation", {"prompt": "a fox"})
        simulator.advance(1)
        client.list_tasks("text2video")  # the simulator moves its tasks on when asked
    return simulator


def test_the_client_follows_the_cursor_through_every_page(sim: KlingSimulator):
    with sim.credentials().get_client() as client:
        entries = client.ledger_entries("package", LedgerQuery(limit=1))
    assert len(entries) == 3
    assert {entry.product_type for entry in entries} == {"video", "image"}
    totals = ledger_totals(entries)
    assert sum(total.entries for total in totals) == 3
    assert len({total.model for total in totals}) >= 2


def test_filters_narrow_the_ledger(sim: KlingSimulator):
    with sim.credentials().get_client() as client:
        videos = client.ledger_entries("package", LedgerQuery(product_types=["video"]))
        balance = client.ledger_entries("balance")
    assert len(videos) == 2 and {entry.product_type for entry in videos} == {"video"}
    assert len(balance) == 3 and {entry.currency for entry in balance} == {"USD"}


def test_bad_queries_are_refused_before_sending(sim: KlingSimulator):
    before = sim.stats().requests
    with sim.credentials().get_client() as client:
        with pytest.raises(KlingValidationError, match="product_types"):
            client.ledger_entries("balance", LedgerQuery(product_types=["video"]))
        with pytest.raises(ValidationError, match="package_ids"):
            LedgerQuery(package_names=["a"], package_ids=["1"])
        with pytest.raises(ValidationError, match="limit"):
            LedgerQuery(limit=501)
    with (
        sim.credentials("cometapi").get_client() as gateway,
        pytest.raises(KlingValidationError, match="'cometapi' has no account-billing-package"),
    ):
        gateway.ledger_entries("package")
    assert sim.stats().requests == before


def test_the_report_flow_publishes_a_table(sim: KlingSimulator):
    state = account_report(
        days=1, credentials=sim.credentials(), runtime=sim.runtime(), return_state=True
    )
    totals = state.result()
    assert sum(total.entries for total in totals) == 3
    [table] = artifacts(flow_run_id(state), key="kling-account-report")
    assert table.type == "table"
    assert "3 tasks" in (table.description or "")


@pytest.fixture
def kling_env(sim: KlingSimulator, monkeypatch: pytest.MonkeyPatch) -> KlingSimulator:
    from tests.conftest import ACCESS_KEY, SECRET_KEY

    for name in list(os.environ):
        if name.startswith("KLING_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("KLING_BASE_URL", sim.base_url)
    monkeypatch.setenv("KLING_ACCESS_KEY", ACCESS_KEY)
    monkeypatch.setenv("KLING_SECRET_KEY", SECRET_KEY)
    return sim


def test_costs_ledger_prints_totals_per_day_and_model(kling_env: KlingSimulator):
    code, out, err = run("costs", "--ledger")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].split() == ["day", "model", "tasks", "units"]
    assert lines[-1].split()[:2] == ["total", "3"]
    code, out, err = run("costs", "--ledger", "balance", "--json")
    assert code == 0, err
    assert json.loads(out)["entries"] == 3


def test_costs_ledger_refuses_a_bad_window_with_exit_2(kling_env: KlingSimulator):
    before = kling_env.stats().requests
    code, out, err = run("costs", "--ledger", "--days", "0")
    assert code == 2 and out == "" and "days" in err and "Traceback" not in err
    assert kling_env.stats().requests == before
