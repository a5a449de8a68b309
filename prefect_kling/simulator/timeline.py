"""A simulated task: its timeline and the JSON views of it.

A task is `submitted` for its `queue_seconds`, then `processing` for its
`processing_seconds`, then `succeed` (or `failed` when it carries a failure message). The
durations are fixed when the task is created, so reconfiguring the simulator only affects
new tasks. `updated_at` of each status is the moment the timeline says it began, not the
moment someone looked.

A task of the newer API standard (its row is `standard`) shows Kling's newer task object
instead (`Task.view`): `id`, `status` (`succeeded` for `succeed`), `message`,
`create_time`, `update_time`, `external_id` (`""` when none), `outputs[]` of type `video`
(with `watermark_url` when watermarks were asked for) once it has succeeded, and
`billing[]` (`charge_type` `unit`, the units as a decimal string, `package_type` `video`)
once it has succeeded; a failed task is charged nothing and its `billing` stays empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from prefect_kling.simulator.orders import Order
from prefect_kling.simulator.routes import Endpoint

SUBMITTED, PROCESSING, SUCCEED, FAILED = "submitted", "processing", "succeed", "failed"
TERMINAL = (SUCCEED, FAILED)
STANDARD_STATUS = {
    SUBMITTED: SUBMITTED,
    PROCESSING: PROCESSING,
    SUCCEED: "succeeded",
    FAILED: FAILED,
}
"""Status words of the newer standard, by the simulator's own."""
PACKAGE_TYPES = {"video": "video", "image": "image", "try-on": "image"}
AUDIO = ("mp3", "wav")
"""The files of an audio track, in the order Kling lists them."""
RISK_CONTROL_MESSAGE = "Failure to pass the risk control system"
INTERNAL_FAILURE_MESSAGE = "Task failed due to an internal error, please try again later"

_MAX_STORED_STRING = 4096


def shorten(value: Any) -> Any:
    """A copy of a request body with very long strings (Base64 images) summarised."""
    if isinstance(value, str) and len(value) > _MAX_STORED_STRING:
        return f"<{len(value)} characters>"
    if isinstance(value, dict):
        return {key: shorten(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shorten(item) for item in value]
    return value


@dataclass
class Task:
    """One task and what it will produce.

    Attributes:
        task_id: Kling-style numeric task id.
        endpoint: The endpoint row that created it.
        provider: `kling` or `cometapi`: the prefix it was created through.
        order: The validated request.
        request: The request body as received (long strings summarised).
        created_mono: Creation time on the simulator's monotonic clock.
        created_ms: Creation time, Unix milliseconds (simulator clock).
        queue_seconds: Time spent `submitted`.
        processing_seconds: Time spent `processing`.
        output_ids: Ids of the produced videos or audio tracks (empty for images); a
            dubbed video's task has its video's id, then its audio track's.
        image_size: Width and height of produced images.
        failure: `task_status_msg` of a task that will fail, else `None`.
        status: The status reached so far (moved by the simulator's ticks).
        updated_ms: When the current status began, Unix milliseconds.
    """

    task_id: str
    endpoint: Endpoint
    provider: str
    order: Order
    request: dict[str, Any]
    created_mono: float
    created_ms: int
    queue_seconds: float
    processing_seconds: float
    output_ids: list[str] = field(default_factory=list)
    image_size: tuple[int, int] = (0, 0)
    failure: str | None = None
    status: str = SUBMITTED
    updated_ms: int = 0

    def __post_init__(self) -> None:
        self.updated_ms = self.updated_ms or self.created_ms

    @property
    def family(self) -> str:
        """The concurrency family."""
        return self.endpoint.family

    @property
    def slots(self) -> int:
        """Concurrency slots held while running."""
        return self.endpoint.slots(self.order)

    @property
    def terminal(self) -> bool:
        """Whether the task has ended."""
        return self.status in TERMINAL

    @property
    def outcome(self) -> str:
        """The status the task will end with."""
        return FAILED if self.failure else SUCCEED

    @property
    def ends_at(self) -> float:
        """When the task ends, on the simulator's monotonic clock."""
        return self.created_mono + self.queue_seconds + self.processing_seconds

    def steps(self) -> list[str]:
        """The statuses of the timeline, in order."""
        return [SUBMITTED, PROCESSING, self.outcome]

    def status_at(self, now: float) -> str:
        """The status the timeline gives at time `now`."""
        elapsed = now - self.created_mono
        if elapsed < self.queue_seconds:
            return SUBMITTED
        if elapsed < self.queue_seconds + self.processing_seconds:
            return PROCESSING
        return self.outcome

    def began_ms(self, status: str) -> int:
        """When the timeline enters `status`, Unix milliseconds."""
        if status == SUBMITTED:
            return self.created_ms
        if status == PROCESSING:
            return self.created_ms + round(self.queue_seconds * 1000)
        return self.created_ms + round((self.queue_seconds + self.processing_seconds) * 1000)

    def units(self) -> str:
        """`final_unit_deduction`: the endpoint's price, `"0"` for a failed task."""
        if self.outcome == FAILED:
            return "0"
        return f"{self.endpoint.units(self.order):g}"

    @property
    def video_seconds(self) -> float:
        """Length of the videos this task makes."""
        return self.endpoint.length(self.order)

    def video_url(self, base_url: str, index: int = 0) -> str:
        """The download link of one of the task's videos."""
        return f"{base_url}/_simulator/files/{self.task_id}/{index}.mp4"

    def file_names(self) -> list[str]:
        """The names of the result files served for this task."""
        if self.endpoint.result == "audios":
            return [f"{index}.{kind}" for index in range(len(self.output_ids)) for kind in AUDIO]
        if self.endpoint.result == "dubbed":
            return ["0.mp4", *(f"0.{kind}" for kind in AUDIO)]
        if self.endpoint.result == "speech":
            return ["0.mp3"]
        extension = "mp4" if self.endpoint.result == "video" else "png"
        count = len(self.output_ids) if self.endpoint.result == "video" else self.order.n
        names = [f"{index}.{extension}" for index in range(count)]
        if self.order.watermark:
            names += [f"{index}-watermark.{extension}" for index in range(count)]
        return names

    def _result(self, base_url: str) -> dict[str, Any]:
        files = f"{base_url}/_simulator/files/{self.task_id}"
        seconds = f"{self.video_seconds:.3f}"
        if self.endpoint.result == "speech":
            return {"audios": [{"id": self.task_id, "url": f"{files}/0.mp3", "duration": seconds}]}
        if self.endpoint.result == "audios":
            audios = [
                self._audio(files, index, audio_id)
                for index, audio_id in enumerate(self.output_ids)
            ]
            return {"audios": audios}
        if self.endpoint.result == "dubbed":
            video_id, audio_id = self.output_ids
            video = {"id": video_id, "url": self.video_url(base_url), "duration": seconds}
            return {"videos": [video], "audios": [self._audio(files, 0, audio_id)]}
        if self.endpoint.result == "video":
            videos = []
            for index, video_id in enumerate(self.output_ids):
                video = {
                    "id": video_id,
                    "url": self.video_url(base_url, index),
                    "duration": f"{self.video_seconds:.3f}",
                }
                if self.order.watermark:
                    video["watermark_url"] = f"{files}/{index}-watermark.mp4"
                videos.append(video)
            return {"videos": videos}
        images = []
        for index in range(self.order.n):
            image: dict[str, Any] = {"index": index, "url": f"{files}/{index}.png"}
            if self.order.watermark:
                image["watermark_url"] = f"{files}/{index}-watermark.png"
            images.append(image)
        if self.endpoint.views:  # AI multi-shot: one item, its views as url_1, url_2, ...
            views = {f"url_{index + 1}": image["url"] for index, image in enumerate(images)}
            return {"images": [{"index": 0, **views}]}
        if self.order.series:
            return {"result_type": "series", "series_images": images}
        return {"images": images}

    def _audio(self, files: str, index: int, audio_id: str) -> dict[str, Any]:
        seconds = f"{self.video_seconds:.3f}"
        return (
            {"id": audio_id}
            | {f"url_{kind}": f"{files}/{index}.{kind}" for kind in AUDIO}
            | {f"duration_{kind}": seconds for kind in AUDIO}
        )

    def _info(self) -> dict[str, Any]:
        info: dict[str, Any] = {}
        if self.order.external_task_id:
            info["external_task_id"] = self.order.external_task_id
        if self.order.parent is not None:
            info["parent_video"] = self.order.parent.view()
        return info

    def create_view(self) -> dict[str, Any]:
        """The `data` of a create answer, in the task's standard."""
        if self.endpoint.standard:
            return {
                "id": self.task_id,
                "status": STANDARD_STATUS[self.status],
                "create_time": self.created_ms,
                "update_time": self.updated_ms,
                "external_id": self.order.external_task_id or "",
            }
        return {
            "task_id": self.task_id,
            "task_status": self.status,
            "task_info": self._info(),
            "created_at": self.created_ms,
            "updated_at": self.updated_ms,
        }

    def kling_view(self, base_url: str) -> dict[str, Any]:
        """The task object of queries, lists and callbacks."""
        view: dict[str, Any] = {
            "task_id": self.task_id,
            "task_status": self.status,
            "task_status_msg": self.failure if self.status == FAILED else "",
            "task_info": self._info(),
            "task_result": self._result(base_url) if self.status == SUCCEED else {},
            "watermark_info": {"enabled": self.order.watermark},
            "created_at": self.created_ms,
            "updated_at": self.updated_ms,
        }
        if self.terminal:
            view["final_unit_deduction"] = self.units()
        return view

    def view(self, base_url: str) -> dict[str, Any]:
        """The task object in the task's standard (queries, lists and callbacks)."""
        return self.standard_view(base_url) if self.endpoint.standard else self.kling_view(base_url)

    def standard_view(self, base_url: str) -> dict[str, Any]:
        """The task object of the newer standard (`GET /tasks`, `POST /tasks`, callbacks)."""
        succeeded = self.status == SUCCEED
        outputs = []
        for index, video_id in enumerate(self.output_ids if succeeded else []):
            output = {
                "type": "video",
                "id": video_id,
                "url": self.video_url(base_url, index),
                "duration": f"{self.video_seconds:.3f}",
            }
            if self.order.watermark:
                files = f"{base_url}/_simulator/files/{self.task_id}"
                output["watermark_url"] = f"{files}/{index}-watermark.mp4"
            outputs.append(output)
        billing = []
        if succeeded:
            package = PACKAGE_TYPES.get(self.family, "video")
            billing.append({"charge_type": "unit", "amount": self.units(), "package_type": package})
        return {
            "id": self.task_id,
            "status": STANDARD_STATUS[self.status],
            "message": self.failure if self.status == FAILED else "",
            "create_time": self.created_ms,
            "update_time": self.updated_ms,
            "external_id": self.order.external_task_id or "",
            "outputs": outputs,
            "billing": billing,
        }

    def inspect_view(self, base_url: str) -> dict[str, Any]:
        """Everything the simulator knows about the task, for `/_simulator/tasks`."""
        return {
            "task_id": self.task_id,
            "endpoint": self.endpoint.name,
            "provider": self.provider,
            "family": self.family,
            "slots": self.slots,
            "status": self.status,
            "outcome": self.outcome,
            "failure": self.failure,
            "model_name": self.order.model_name,
            "external_task_id": self.order.external_task_id,
            "callback_url": self.order.callback_url,
            "units": self.endpoint.units(self.order),
            "video_ids": list(self.output_ids),
            "ignored_fields": list(self.order.ignored_fields),
            "request": self.request,
            "created_at": self.created_ms,
            "updated_at": self.updated_ms,
            "task": self.view(base_url),
        }
