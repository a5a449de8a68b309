import doctest
import logging

import pytest

import prefect_kling.observe as observe
from prefect_kling.models.kling_task import TaskReference
from prefect_kling.observe import artifact_key, event_name, never_fails

REFERENCE = TaskReference(task_id="8672", endpoint="text2video", provider="kling")


def test_the_module_examples_run():
    assert doctest.testmod(observe, optionflags=doctest.ELLIPSIS).failed == 0


@pytest.mark.parametrize(
    ("step", "name"),
    [
        ("submitted", "kling.task.submitted"),
        ("processing", "kling.task.running"),
        ("succeed", "kling.task.succeeded"),
        ("failed", "kling.task.failed"),
        ("timed-out", "kling.task.timed-out"),
        ("downloaded", "kling.task.downloaded"),
    ],
)
def test_event_names(step: str, name: str):
    assert event_name(step) == name


def test_artifact_keys_keep_to_what_prefect_accepts():
    assert artifact_key("Kling_Batch", "--x y--") == "kling-batch-x-y"


def test_a_publishing_error_is_a_warning(caplog: pytest.LogCaptureFixture):
    @never_fails
    def publish() -> None:
        raise RuntimeError("Prefect is unreachable")

    with caplog.at_level(logging.WARNING, logger="prefect_kling.observe"):
        assert publish() is None
    assert "Could not publish publish to Prefect: Prefect is unreachable" in caplog.text


@pytest.mark.filterwarnings("ignore:Artifact creation outside:FutureWarning")
def test_publishing_outside_a_run_does_not_raise():
    observe.emit_task_event("submitted", REFERENCE, model="kling-v2-master")
    observe.publish_task_summary(REFERENCE, task=None, request={"prompt": "a fox"})
    observe.publish_batch_table([{"item": "a"}])
