"""`flows/deployments.py` describes the same deployments as `flows/prefect.yaml`."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import yaml

import flows.deployments as deployments
from prefect_kling.runtime import use_runtime
from tests.conftest import canary_simulator

pytestmark = pytest.mark.e2e

PREFECT_YAML = Path(__file__).resolve().parents[1] / "flows" / "prefect.yaml"


def yaml_deployments() -> dict[str, dict]:
    document = yaml.safe_load(PREFECT_YAML.read_text())
    return {entry["name"]: entry for entry in document["deployments"]}


def test_both_list_the_same_deployments_of_the_same_flows():
    from_yaml = yaml_deployments()
    assert set(from_yaml) == set(deployments.DEPLOYMENTS)
    for name, (function, options) in deployments.DEPLOYMENTS.items():
        assert from_yaml[name]["entrypoint"] == f"flows/deployments.py:{function}"
        for key, value in options.get("parameters", {}).items():
            assert from_yaml[name]["parameters"][key] == value, (name, key)


def test_the_resume_trigger_is_the_same_and_off_unless_asked_for():
    (in_yaml,) = yaml_deployments()["resume-task"]["triggers"]
    trigger = deployments.RESUME_ON_CALLBACK
    assert in_yaml["enabled"] is False and trigger.enabled is False
    assert trigger.match.root == in_yaml["match"]
    assert trigger.expect == set(in_yaml["expect"])
    assert trigger.parameters == in_yaml["parameters"]
    options = deployments.DEPLOYMENTS["resume-task"][1]
    (enabled,) = deployments._options(options, resume_on_callback=True)["triggers"]
    assert enabled.enabled is True
    assert deployments.RESUME_ON_CALLBACK.enabled is False  # the shared one is left alone


def test_the_nightly_batch_runs_on_the_same_schedule():
    (schedule,) = yaml_deployments()["nightly-batch"]["schedules"]
    assert deployments.DEPLOYMENTS["nightly-batch"][1]["cron"] == schedule["cron"]


def test_the_scheduled_batch_reads_its_file_and_a_second_night_pays_nothing(tmp_path):
    tag = uuid.uuid4().hex[:8]
    prompts = tmp_path / "prompts.csv"
    prompts.write_text(f"name,prompt\nfox,A fox at night {tag}\nowl,An owl at night {tag}\n")
    # Realistic durations on the simulator's clock: the batch's 5 s rounds take no real time.
    with canary_simulator(queue_seconds=10, processing_seconds=30) as sim:
        sim.credentials().save("kling-nightly-test", overwrite=True)
        options = {
            "prompts": str(prompts),
            "credentials": "kling-nightly-test",
            "output": str(tmp_path / "out"),
        }
        # The deployment takes no runtime argument: the flow and its batch run inside
        # this block, so they find the simulator's runtime as the current one.
        with use_runtime(sim.runtime()):
            first = deployments.scheduled_batch(**options)
            second = deployments.scheduled_batch(**options)
        assert first["counts"] == second["counts"] == {"succeeded": 2}
        assert sim.stats().create_calls == 2
        assert sim.clock_offset >= 40  # the tasks' 40 s passed on the simulator's clock
