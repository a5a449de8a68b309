"""Callback bodies of both shapes, and the ledger of statuses seen."""

from prefect_kling.callbacks import StatusLedger, parse_callback
from prefect_kling.models.kling_task import KlingTask
from tests.callbacks.hooks import URL


async def test_newer_callback_format_is_understood(client, received, kling):
    kling.statuses["9"] = "succeed"
    body = {
        "id": "9",
        "status": "succeeded",
        "outputs": [{"type": "video", "url": "https://x/v.mp4", "id": "v9"}],
        "billing": [
            {"charge_type": "unit", "amount": "2.5", "package_type": "video"},
            {"charge_type": "cash", "amount": "0.3", "currency": "USD"},
        ],
    }
    assert (await client.post(URL, json=body)).status_code == 204
    assert received == [("9", "succeed", "callback")]
    task = parse_callback(body)
    assert task.videos[0].url == "https://x/v.mp4" and task.units == 2.5


def test_a_newer_callback_gives_its_failure_reason_from_message():
    task = parse_callback({"id": "8", "status": "failed", "message": "risk control"})
    assert task.failed and task.task_status_msg == "risk control" and task.units is None


def test_ledger_is_bounded():
    ledger = StatusLedger(max_tasks=2)
    for task_id in ("a", "b", "c"):
        assert ledger.advance(KlingTask(task_id=task_id, task_status="processing"))
    assert ledger.advance(
        KlingTask(task_id="a", task_status="processing")
    )  # forgotten, so new again
    assert not ledger.advance(KlingTask(task_id="c", task_status="submitted"))


def test_a_claim_is_news_only_against_confirmed_statuses():
    ledger = StatusLedger()
    claim = KlingTask(task_id="1", task_status="failed")
    assert ledger.is_news(claim) and ledger.is_news(claim)  # asking records nothing
    assert ledger.advance(KlingTask(task_id="1", task_status="processing"))
    assert ledger.is_news(KlingTask(task_id="1", task_status="succeed"))
    assert not ledger.is_news(KlingTask(task_id="1", task_status="submitted"))
