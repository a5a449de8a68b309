"""Multi-element video editing: a selection session on a video, then the edit.

Kling's page (`/v1/videos/multi-elements/...`) has five session calls, each answered at
once, and then the task:

1. `init-selection` (`MultiElementsVideo`: `video_id` or `video_url`) opens a session
   (valid 24 hours) on a video of 2 to 5 or 7 to 10 seconds;
2. `add-selection` / `delete-selection` (`SelectionRequest`) mark or unmark the element
   to edit by clicking points on a frame: at most 10 frames, one frame a call, at most 10
   points a frame, each point `x`, `y` in [0, 1] from the top-left corner (a deletion names
   the points exactly as they were added);
3. `clear-selection` forgets every mark; `preview-selection` renders the marks on the video
   (`SessionRequest`), answered with a `SelectionSession`;
4. `videos/multi-elements` (`MultiElementsRequest`) creates the task: `edit_mode`
   `addition` (1 or 2 cropped reference images), `swap` (exactly 1) or `removal` (none),
   a prompt that refers to `<<<video_1>>>` and `<<<image_1>>>`, `mode`, `duration` 5 or 10.

`Selection` is one frame's points, as the session plan (`prefect_kling.multi_elements_plan`)
takes them before the session exists.

Examples:
    >>> from prefect_kling.providers import Provider
    >>> request = MultiElementsRequest(
    ...     session_id="8475", edit_mode="removal", prompt="Delete the chick from <<<video_1>>>"
    ... )
    >>> request.to_payload(Provider.KLING)
    {'session_id': '8475', 'edit_mode': 'removal', 'prompt': 'Delete the chick from <<<video_1>>>'}
"""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import Field, model_validator

from prefect_kling.models.common import (
    CallbackUrl,
    ExternalTaskId,
    KlingRequest,
    NegativePrompt,
    RequiredPrompt,
    StrictModel,
    VideoId,
    exactly_one,
    rule_error,
)
from prefect_kling.models.kling_task import _Lenient
from prefect_kling.models.lipsync import HttpUrlText
from prefect_kling.models.videos import Duration, ImageListItem, Mode, Watermark

MAX_FRAMES = 10
"""Most frames a session may mark."""
MAX_POINTS = 10
"""Most points a frame may mark."""
IMAGES_PER_MODE = {"addition": (1, 2), "swap": (1, 1), "removal": (0, 0)}
"""How many reference images each edit mode takes, as `(least, most)`."""

EditMode = Literal["addition", "swap", "removal"]


class SelectionPoint(StrictModel):
    """One click on a frame, in parts of its width and height from the top-left corner.

    Examples:
        >>> SelectionPoint(x=0.77, y=0.3).x
        0.77
    """

    x: float = Field(ge=0, le=1, description="Across the frame, 0 (left) to 1 (right).")
    y: float = Field(ge=0, le=1, description="Down the frame, 0 (top) to 1 (bottom).")


class Selection(StrictModel):
    """The points marked (or unmarked) on one frame.

    Examples:
        >>> Selection(frame_index=0, points=[{"x": 0.5, "y": 0.5}]).points[0].y
        0.5
    """

    frame_index: int = Field(ge=0, description="The frame, counted from 0.")
    points: list[SelectionPoint] = Field(
        min_length=1, max_length=MAX_POINTS, description="The clicks, 1 to 10."
    )


class MultiElementsVideo(KlingRequest):
    """Open a selection session on a video (`videos/multi-elements/init-selection`).

    Examples:
        >>> from prefect_kling.providers import Provider
        >>> MultiElementsVideo(video_id=8594).to_payload(Provider.KLING)
        {'video_id': '8594'}
    """

    video_id: VideoId | None = Field(
        None, description="Id of a video Kling made (under 30 days old); this or video_url."
    )
    video_url: HttpUrlText | None = Field(
        None, description="Link to an mp4 or mov video (2-5 s or 7-10 s); this or video_id."
    )

    @model_validator(mode="after")
    def _one_video(self) -> Self:
        exactly_one(self, "video_id", "video_url")
        return self


class SessionRequest(KlingRequest):
    """Name a session: the body of `clear-selection` and `preview-selection`."""

    session_id: str = Field(min_length=1, description="The session from init-selection.")


class SelectionRequest(SessionRequest):
    """Mark or unmark points on one frame (`add-selection`, `delete-selection`)."""

    frame_index: int = Field(ge=0, description="The frame, counted from 0.")
    points: list[SelectionPoint] = Field(
        min_length=1, max_length=MAX_POINTS, description="The clicks, 1 to 10."
    )


class SelectionSession(_Lenient):
    """What a session call answers: the session and, for some calls, more.

    `init-selection` adds the parsed video (`fps`, `total_frame`, `original_duration`,
    `normalized_video`); `add-selection` and `delete-selection` the frame's masks in
    `res`; `preview-selection` the preview's links in `res` (`video`, `video_cover`).
    """

    status: int | None = Field(default=None, description="0, or why the video was refused.")
    session_id: str | None = Field(default=None, description="The session (24 hours).")
    fps: float | None = Field(default=None, description="Frame rate of the parsed video.")
    total_frame: int | None = Field(default=None, description="Frames of the parsed video.")
    original_duration: int | None = Field(default=None, description="Length of the video.")
    normalized_video: str | None = Field(default=None, description="The initialised video.")
    res: dict[str, Any] | None = Field(default=None, description="Masks, or preview links.")

    @property
    def preview_url(self) -> str | None:
        """The preview video with the marks drawn, after `preview-selection`."""
        return (self.res or {}).get("video")


class MultiElementsRequest(KlingRequest):
    """Add, swap or remove an element of a video (`videos/multi-elements`).

    Examples:
        >>> from pydantic import ValidationError
        >>> try:
        ...     MultiElementsRequest(session_id="8475", edit_mode="swap", prompt="swap the hat")
        ... except ValidationError as error:
        ...     print(error.errors()[0]["msg"])
        image_list: 0 images with edit_mode 'swap'; allowed: exactly 1 image
    """

    session_id: str = Field(min_length=1, description="The session from init-selection.")
    edit_mode: EditMode = Field(description="`addition`, `swap` or `removal`.")
    image_list: list[ImageListItem] | None = Field(
        None,
        description="Cropped reference images: 1 or 2 to add, 1 to swap, none to remove.",
    )
    prompt: RequiredPrompt = Field(
        description="What to do, naming `<<<video_1>>>` and `<<<image_1>>>`."
    )
    negative_prompt: NegativePrompt = None
    mode: Mode = None
    duration: Duration = Field(
        None, description='`"5"` (a 2-5 s video) or `"10"` (a 7-10 s video).'
    )
    watermark_info: Watermark = None
    callback_url: CallbackUrl = None
    external_task_id: ExternalTaskId = None

    @model_validator(mode="after")
    def _images_fit_the_mode(self) -> Self:
        least, most = IMAGES_PER_MODE[self.edit_mode]
        count = len(self.image_list or [])
        if not least <= count <= most:
            allowed = (
                "none"
                if most == 0
                else (f"exactly {most} image" if least == most else f"{least} to {most} images")
            )
            raise rule_error(
                "image_list",
                f"{count} image{'' if count == 1 else 's'} with edit_mode "
                f"{self.edit_mode!r}; allowed: {allowed}",
            )
        return self
