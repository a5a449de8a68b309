"""Which result file a download names: a task's video, image or audio, its variant and content.

A succeeded task's files are named `<index>.mp4` / `<index>.png`, and `<index>-watermark.*`
for the watermarked variants (`Task.file_names`); an audio track's `<index>.mp3` and
`<index>.wav` (video to audio's task has both: `0.mp4` and `0.mp3`, `0.wav`).
`result_file` reads such a name into a `FileRef`, which says everything `files.py` needs to
serve it: for a video what it shows (`VideoSpec`, to render it) unless the shipped sample
is served instead. A video of the newer standard is drawn at a quarter of its
`settings.resolution` (`RENDER_LONG_SIDES`: 720p 320 px on the long side, 1080p 480, 4k
960), so that renders stay quick; others at 320 px.

Examples:
    >>> from prefect_kling.simulator.orders import Order
    >>> from prefect_kling.simulator.routes import ENDPOINTS_BY_NAME
    >>> from prefect_kling.simulator.timeline import Task
    >>> order = Order(model_name="kling-v1", prompt="a fox")
    >>> task = Task("42", ENDPOINTS_BY_NAME["text2video"], "kling", order,
    ...             {"prompt": "a fox"}, created_mono=0.0, created_ms=0,
    ...             queue_seconds=1, processing_seconds=4)
    >>> ref = result_file(task, "0-watermark.mp4", render_videos=True, video_bytes=None)
    >>> ref.kind, ref.index, ref.watermark, ref.video.prompt
    ('video', 0, True, 'a fox')
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from prefect_kling.simulator.render import LONG_SIDE, frame_size
from prefect_kling.simulator.timeline import Task
from prefect_kling.simulator.videos import VideoSpec

RENDER_LONG_SIDES = {"720p": 320, "1080p": 480, "4k": 960}
"""Pixels on the long side of a rendered video, by the resolution its task asked for."""


@dataclass(frozen=True)
class FileRef:
    """A result file that may be served.

    Attributes:
        kind: `video`, `image`, or an audio track's `mp3` or `wav`.
        index: Position in the task's result.
        watermark: Whether this is the watermarked variant.
        size: Width and height (images) of the file.
        video_bytes: The size videos are padded to (`SimulatorConfig.video_bytes`).
        video: What a video shows, to render it; `None` for the shipped sample (and for
            images).
        seconds: Length of an audio file.
        seed: Makes one task's audio differ from another's.
    """

    kind: Literal["video", "image", "mp3", "wav"]
    index: int
    watermark: bool
    size: tuple[int, int]
    video_bytes: int | None = None
    video: VideoSpec | None = None
    seconds: float = 0.0
    seed: int = 0


def result_file(task: Task, name: str, *, render_videos: bool, video_bytes: int | None) -> FileRef:
    """The file `name` of a task (one of `task.file_names()`).

    Args:
        task: The succeeded task.
        name: The file's name in its URL.
        render_videos: Render videos (`SimulatorConfig.render_videos`), or serve the sample.
        video_bytes: The size videos are padded to.
    """
    stem, _, extension = name.rpartition(".")
    index, _, variant = stem.partition("-")
    dubbed_audio = task.endpoint.result == "dubbed" and extension != "mp4"
    if task.endpoint.result in ("audios", "speech") or dubbed_audio:
        return FileRef(
            kind="wav" if extension == "wav" else "mp3",
            index=int(index),
            watermark=False,
            size=(0, 0),
            seconds=task.video_seconds,
            seed=int(task.task_id) % 2**32,
        )
    is_video = task.endpoint.result in ("video", "dubbed")
    watermark = variant == "watermark"
    video = None
    if is_video and render_videos:
        video = VideoSpec(
            task_id=task.task_id,
            endpoint=task.endpoint.name,
            prompt=task.order.prompt,
            seconds=task.video_seconds,
            size=frame_size(
                task.order.aspect_ratio, RENDER_LONG_SIDES.get(task.order.resolution, LONG_SIDE)
            ),
            index=int(index),
            watermark=watermark,
        )
    return FileRef(
        kind="video" if is_video else "image",
        index=int(index),
        watermark=watermark,
        size=task.image_size,
        video_bytes=video_bytes,
        video=video,
    )
