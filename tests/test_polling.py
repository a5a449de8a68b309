import pytest

from prefect_kling import KlingCredentials
from prefect_kling.exceptions import KlingAuthError, KlingTaskFailed, KlingTaskTimedOut
from prefect_kling.models.kling_task import TaskReference
from prefect_kling.waiting import PollSchedule, TaskWaiter, apoll_task, poll_task
from tests.conftest import API_KEY
from tests.fakes import ScriptedKling, envelope, task_data

QUERY = "/kling/v1/videos/text2video/77"
REF = TaskReference(task_id="77", endpoint="text2video", provider="cometapi")


class FakeTime:
    """A monotonic clock that only moves when the code under test sleeps."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


def client_for(kling: ScriptedKling, fake: FakeTime, asynchronous: bool = False):
    import httpx

    creds = KlingCredentials(provider="cometapi", api_key=API_KEY, base_url="http://kling.test")
    if asynchronous:
        return creds.get_async_client(transport=httpx.MockTransport(kling), sleep=fake.asleep)
    return creds.get_client(transport=httpx.MockTransport(kling), sleep=fake.sleep)


def statuses(*names: str, **final):
    answers = [envelope(task_data("77", name)) for name in names]
    return answers


def test_schedule_backs_off_to_a_cap():
    schedule = PollSchedule(first_interval=1, max_interval=5, factor=2)
    assert [schedule.interval(n) for n in range(5)] == [1, 2, 4, 5, 5]


def test_poll_returns_the_succeeded_task_with_adaptive_pauses():
    fake = FakeTime()
    done = task_data(
        "77",
        "succeed",
        task_result={"videos": [{"id": "v", "url": "http://x/v.mp4", "duration": "5.0"}]},
    )
    kling = ScriptedKling().on(
        "GET",
        QUERY,
        *statuses("submitted", "submitted", "processing", "processing"),
        envelope(done),
    )
    changes = []
    with client_for(kling, fake) as client:
        task = poll_task(
            client,
            REF,
            schedule=PollSchedule(1, 4, 2),
            clock=fake.clock,
            sleep=fake.sleep,
            on_status=lambda t, elapsed: changes.append((t.status, elapsed)),
        )
    assert task.videos[0].url == "http://x/v.mp4"
    assert fake.sleeps == [1, 2, 4, 4]
    assert changes == [("submitted", 0), ("processing", 3), ("succeed", 11)]


def test_poll_raises_task_failed_with_kling_reason():
    fake = FakeTime()
    failed = task_data("77", "failed", task_status_msg="Failure to pass the risk control system")
    kling = ScriptedKling().on("GET", QUERY, *statuses("processing"), envelope(failed))
    with client_for(kling, fake) as client, pytest.raises(KlingTaskFailed) as raised:
        poll_task(client, REF, clock=fake.clock, sleep=fake.sleep)
    assert raised.value.status_message == "Failure to pass the risk control system"
    assert "risk control" in str(raised.value) and "77" in str(raised.value)


def test_poll_times_out_on_the_clock_not_on_a_sum_of_sleeps():
    fake = FakeTime()

    def slow_query(request):
        fake.now += 7  # every query itself takes 7 s
        return envelope(task_data("77", "processing"))

    kling = ScriptedKling(default=slow_query)
    with client_for(kling, fake) as client, pytest.raises(KlingTaskTimedOut) as raised:
        poll_task(
            client,
            REF,
            max_wait_seconds=60,
            schedule=PollSchedule(5, 5, 1),
            clock=fake.clock,
            sleep=fake.sleep,
        )
    error = raised.value
    assert error.reference == REF and error.last_status == "processing"
    assert 60 <= error.waited_seconds < 72
    assert len(kling.requests) == 6  # 12 s per round, then a last query at the deadline
    assert "prefect-kling wait text2video 77" in str(error)


def test_last_pause_never_sleeps_past_the_deadline():
    fake = FakeTime()
    kling = ScriptedKling(default=lambda r: envelope(task_data("77", "submitted")))
    with client_for(kling, fake) as client, pytest.raises(KlingTaskTimedOut):
        poll_task(
            client,
            REF,
            max_wait_seconds=10,
            schedule=PollSchedule(4, 4, 1),
            clock=fake.clock,
            sleep=fake.sleep,
        )
    assert fake.sleeps == [4, 4, 2]


def test_transient_query_errors_are_ridden_out():
    fake = FakeTime()
    busy = envelope(code=5001, message="maintenance", status=503)
    kling = ScriptedKling().on("GET", QUERY, *[busy] * 8, envelope(task_data("77", "succeed")))
    with client_for(kling, fake) as client:
        task = poll_task(client, REF, clock=fake.clock, sleep=fake.sleep)
    assert task.succeeded
    assert len(kling.requests) == 9


def test_non_transient_query_error_stops_the_wait():
    fake = FakeTime()
    kling = ScriptedKling().on(
        "GET", QUERY, envelope(code=1002, message="invalid token", status=401)
    )
    with client_for(kling, fake) as client, pytest.raises(KlingAuthError):
        poll_task(client, REF, clock=fake.clock, sleep=fake.sleep)
    assert len(kling.requests) == 1


def test_status_change_is_reported_once_per_change():
    fake = FakeTime()
    waiter = TaskWaiter(REF, clock=fake.clock, on_status=lambda t, e: seen.append(t.status))
    seen: list[str] = []
    from prefect_kling.models.kling_task import KlingTask

    for status in ("submitted", "submitted", "processing", "processing", "processing"):
        waiter.observe(KlingTask(task_id="77", task_status=status))
    assert seen == ["submitted", "processing"]


async def test_async_poll_matches_sync():
    fake = FakeTime()
    kling = ScriptedKling().on(
        "GET", QUERY, *statuses("submitted", "processing"), envelope(task_data("77", "succeed"))
    )
    async with client_for(kling, fake, asynchronous=True) as client:
        task = await apoll_task(
            client, REF, schedule=PollSchedule(1, 4, 2), clock=fake.clock, sleep=fake.asleep
        )
    assert task.succeeded
    assert fake.sleeps == [1, 2]
