"""What the simulator's validators know: Kling's limits as its own data, and what they make.

A validator turns a create body into an `Order` (the normalised facts the simulator needs
to run the task) or raises `Invalid` (the create answers 400/1201, or 404/1203 for a model
that does not exist). The limits here are written from kling-api.md independently of the
client's capability data, so that the two check each other.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_IMAGE_BYTES = 10 * 1024 * 1024
MIN_IMAGE_SIDE = 300
MAX_IMAGE_RATIO = 2.5

MODES = ("std", "pro")
DURATIONS = {"5": 5, "10": 10}
VIDEO_ASPECTS = ("16:9", "9:16", "1:1")
GATEWAY_VIDEO_ASPECTS = ("16:9", "9:16", "1:1", "4:3", "3:4", "3:2", "2:3")
IMAGE_ASPECTS = ("16:9", "9:16", "1:1", "4:3", "3:4", "3:2", "2:3", "21:9")

TEXT2VIDEO_MODELS = (
    "kling-v1",
    "kling-v1-6",
    "kling-v2-master",
    "kling-v2-1-master",
    "kling-v2-5-turbo",
    "kling-v2-6",
    "kling-v3",
)
IMAGE2VIDEO_MODELS = (*TEXT2VIDEO_MODELS, "kling-v1-5", "kling-v2-1")
MULTI_IMAGE2VIDEO_MODELS = ("kling-v1-6",)
MULTI_IMAGE2IMAGE_MODELS = ("kling-v2", "kling-v2-1")
TEXT2IMAGE_MODELS = ("kling-v3", "kling-v1", "kling-v1-5", "kling-v2", "kling-v2-new", "kling-v2-1")
OMNI_IMAGE_MODELS = ("kling-image-o1", "kling-v3-omni")
TRY_ON_MODELS = ("kolors-virtual-try-on-v1", "kolors-virtual-try-on-v1-5")
KNOWN_MODELS = frozenset(
    IMAGE2VIDEO_MODELS
    + MULTI_IMAGE2IMAGE_MODELS
    + TEXT2IMAGE_MODELS
    + OMNI_IMAGE_MODELS
    + TRY_ON_MODELS
)

CAMERA_TYPES = ("simple", "down_back", "forward_up", "right_turn_forward", "left_turn_forward")
CAMERA_AXES = ("horizontal", "vertical", "pan", "tilt", "roll", "zoom")


class Invalid(Exception):
    """A create request Kling would refuse.

    Args:
        message: What is wrong, naming the field.
        code: Kling's business code (1201 by default).
        http_status: The HTTP status that goes with it.
    """

    def __init__(self, message: str, code: int = 1201, http_status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.http_status = http_status


@dataclass(frozen=True)
class Context:
    """What a validator needs to know about where the request came in.

    Attributes:
        provider: `kling` (official `/v1`) or `cometapi` (gateway `/kling/v1`).
        prompt_max: Longest `prompt` accepted, in characters.
        negative_max: Longest `negative_prompt` accepted, in characters.
    """

    provider: str
    prompt_max: int
    negative_max: int


@dataclass(frozen=True)
class ParentVideo:
    """The video a task starts from (`task_info.parent_video`).

    Attributes:
        id: The video's id (`""` for a video given by URL).
        url: Where the video is.
        seconds: Its length.
    """

    id: str
    url: str
    seconds: float

    def view(self) -> dict[str, str]:
        """`{id, url, duration}` as Kling shows it (duration a string of seconds)."""
        return {"id": self.id, "url": self.url, "duration": f"{self.seconds:.3f}"}


@dataclass(frozen=True)
class FaceChoice:
    """One face chosen in an advanced lip-sync body.

    Attributes:
        face_id: The face, from the identify-face session.
        insert_ms: `sound_insert_time`: where the sound starts in the video.
        position: Index in `face_choose` (for messages).
    """

    face_id: str
    insert_ms: int
    position: int


@dataclass(frozen=True)
class Order:
    """A validated create request, reduced to what the simulator uses.

    Attributes:
        model_name: The model that will run (the endpoint's default when not given).
        prompt: The prompt (empty when not given).
        negative_prompt: The negative prompt (empty when not given).
        mode: `std` or `pro`.
        duration: Video length in seconds (5 or 10); an audio track's or an avatar's speech
            length (3.5, 6.0, ...).
        aspect_ratio: Output aspect ratio.
        n: Number of images (1 for videos).
        resolution: Image resolution (`1k` or `2k`), or video resolution on the newer
            standard (`720p`, `1080p`, `4k`).
        watermark: Whether `watermark_info.enabled` was set.
        external_task_id: The caller's id, if any.
        callback_url: Where status changes are POSTed, if anywhere.
        ignored_fields: Body fields the endpoint does not know.
        image_problem: Why the task will fail later because of an input image, if it will.
        video_id: The video a task or call starts from, by id (checked by the state).
        video_url: The video a task or call starts from, by URL.
        session_id: The identify-face session an advanced lip-sync uses.
        faces: The faces an advanced lip-sync animates.
        parent: The source video, once the state has found it; on the newer standard, the
            reference or motion video.
        audio: `settings.audio` on the newer standard (`native`, `original`, `off`).
        element_ids: The elements a newer-standard task uses.
        voice_ids: The voices a newer-standard task uses.
        series: Whether an omni image task makes a series (`series_images`).
    """

    model_name: str
    prompt: str = ""
    negative_prompt: str = ""
    mode: str = "std"
    duration: float = 5
    aspect_ratio: str = "16:9"
    n: int = 1
    resolution: str = "1k"
    watermark: bool = False
    external_task_id: str | None = None
    callback_url: str | None = None
    ignored_fields: tuple[str, ...] = ()
    image_problem: str | None = None
    video_id: str | None = None
    video_url: str | None = None
    session_id: str | None = None
    faces: tuple[FaceChoice, ...] = ()
    parent: ParentVideo | None = None
    audio: str = ""
    element_ids: tuple[str, ...] = ()
    voice_ids: tuple[str, ...] = ()
    series: bool = False
