"""The Prefect tasks, called directly from sync and async flows, against the simulator."""

import asyncio

import pytest
from prefect import flow

from prefect_kling import (
    KlingTaskFailed,
    TaskReference,
    get_task,
    image_to_video,
    multi_image_to_image,
    multi_image_to_video,
    text_to_video,
    wait_for_task,
)
from prefect_kling.media import make_png
from prefect_kling.models import TextToVideoRequest
from tests.conftest import canary_simulator

pytestmark = pytest.mark.e2e

FAST = {"first_interval_seconds": 0.05, "max_interval_seconds": 0.1, "max_wait_seconds": 60}


@pytest.fixture(scope="module")
def sim():
    with canary_simulator(seed=5, processing_seconds=0.15) as simulator:
        yield simulator


@pytest.fixture(params=["kling", "cometapi"])
def credentials(request, sim):
    return sim.credentials(request.param)


def frame(seed: int) -> bytes:
    return make_png(640, 480, seed=seed)


def test_every_seed_task_from_a_sync_flow(credentials, sim):
    tag = credentials.provider.value

    @flow
    def seeds():
        references = [
            text_to_video(credentials, prompt=f"sync text {tag}", duration=5),
            image_to_video(credentials, frame(1), prompt=f"sync image {tag}"),
            multi_image_to_video(
                credentials,
                [frame(2), frame(3)],
                prompt=f"sync multi {tag}",
                model_name="kling-v1-6",
            ),
            multi_image_to_image(
                credentials, [frame(4), frame(5)], prompt=f"sync compose {tag}", n=2
            ),
        ]
        return references, [
            wait_for_task(reference, credentials, **FAST) for reference in references
        ]

    references, tasks = seeds()
    assert [r.endpoint for r in references] == [
        "text2video",
        "image2video",
        "multi-image2video",
        "multi-image2image",
    ]
    assert all(r.provider == credentials.provider and r.external_task_id for r in references)
    assert [t.task_id for t in tasks] == [r.task_id for r in references]
    assert all(t.succeeded for t in tasks)
    assert all(t.videos[0].url for t in tasks[:3])
    assert [image.index for image in tasks[3].images] == [0, 1]


def test_tasks_from_an_async_flow(credentials):
    tag = credentials.provider.value

    @flow
    async def from_async():
        reference = text_to_video(credentials, prompt=f"async text {tag}")
        again = get_task(credentials, reference)
        done = wait_for_task(reference, credentials, **FAST)
        return reference, again, done

    reference, again, done = asyncio.run(from_async())
    assert again.task_id == reference.task_id
    assert done.succeeded and done.videos


def test_get_task_by_external_id(credentials):
    @flow
    def lookup():
        reference = text_to_video(credentials, prompt=f"lookup {credentials.provider.value}")
        return reference, get_task(
            credentials, endpoint="text2video", external_task_id=reference.external_task_id
        )

    reference, found = lookup()
    assert found.task_id == reference.task_id


def test_wait_for_task_raises_with_kling_reason(credentials):
    @flow
    def doomed():
        reference = text_to_video(
            credentials, prompt=f"a forbidden scene {credentials.provider.value}"
        )
        return wait_for_task(reference, credentials, **FAST)

    with pytest.raises(KlingTaskFailed, match="risk control"):
        doomed()


def test_a_task_resumes_in_a_later_run(credentials):
    @flow
    def first_run():
        return text_to_video(credentials, prompt=f"resume later {credentials.provider.value}")

    reference = first_run()

    @flow
    def later_run(ref: TaskReference):
        return wait_for_task(ref, credentials, **FAST)

    assert later_run(reference.model_dump(mode="json")).task_id == reference.task_id


def test_a_whole_request_at_once(credentials):
    @flow
    def whole():
        return (
            text_to_video(credentials, request={"prompt": f"whole {credentials.provider.value}"}),
            text_to_video(credentials, request=TextToVideoRequest(prompt="a whole model")),
        )

    as_mapping, as_model = whole()
    assert as_mapping.endpoint == as_model.endpoint == "text2video"
    with pytest.raises(TypeError, match="either request or individual fields"):
        text_to_video.fn(credentials, "a prompt", request={"prompt": "another"})


def test_no_task_shares_its_prefect_name_with_a_flow():
    from prefect import Flow, Task

    from prefect_kling import flows, sensors, tasks

    def named(kind: type) -> dict[str, str]:
        return {
            value.name: name
            for module in (tasks, sensors, flows)
            for name, value in vars(module).items()
            if isinstance(value, kind)
        }

    task_names, flow_names = named(Task), named(Flow)
    assert not set(task_names) & set(flow_names)
    assert tasks.generate_image.name == "kling-image-generation"
    assert tasks.extend_video.name == "kling-video-extend"
