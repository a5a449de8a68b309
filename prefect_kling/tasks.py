"""Prefect tasks: one per Kling endpoint, plus a single query.

Each create task validates its input before anything is sent, creates the task (or finds the
one the same request made before) and returns a `TaskReference`; `wait_for_task` in
`prefect_kling.sensors` waits for it. The tasks are synchronous, so they run when called
directly from sync and async flows alike.

Examples:
    ```python
    from prefect import flow
    from prefect_kling import KlingCredentials
    from prefect_kling.tasks import text_to_video
    from prefect_kling.sensors import wait_for_task

    @flow
    def fox_video():
        credentials = KlingCredentials.load("kling")
        reference = text_to_video(credentials, prompt="A red fox running through snow")
        return wait_for_task(reference, credentials).videos[0].url
    ```
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Self

from prefect import task
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel, ValidationError

from prefect_kling.client import derive_external_task_id, prepare_create
from prefect_kling.credentials import KlingCredentials
from prefect_kling.endpoints import get_endpoint
from prefect_kling.exceptions import KlingError, KlingValidationError, problems_from_pydantic
from prefect_kling.models.account import AccountCosts, AccountCostsQuery
from prefect_kling.models.common import explain_errors
from prefect_kling.models.lipsync import IdentifyFaceRequest, IdentifyFaceResult
from prefect_kling.models.tasks import KlingTask, TaskReference
from prefect_kling.providers import Provider

ImageSource = Any
"""A URL, a local path, bytes, or Base64 text."""


def create_task(
    credentials: KlingCredentials,
    endpoint: str,
    request: Mapping[str, Any] | BaseModel,
    *,
    idempotency_key: str | None = None,
) -> TaskReference:
    """Create a Kling task on any endpoint (the function behind every create task).

    Args:
        credentials: Where and how to reach Kling.
        endpoint: Endpoint name, e.g. `text2video`.
        request: The request fields, or a request model.
        idempotency_key: Ask for a fresh take of a request made before.

    Returns:
        A reference to the task: id, external id, endpoint, provider, status.
    """
    with credentials.get_client() as client:
        return client.create(endpoint, request, idempotency_key=idempotency_key)


def _fields(
    request: Mapping[str, Any] | BaseModel | None, fields: Mapping[str, Any]
) -> dict[str, Any]:
    if request is None:
        return {key: value for key, value in fields.items() if value is not None}
    if fields:
        raise TypeError("give either request or individual fields, not both")
    return (
        request.model_dump(exclude_none=True) if isinstance(request, BaseModel) else dict(request)
    )


def _items(images: Sequence[ImageSource] | None, key: str) -> list[dict[str, Any]] | None:
    if images is None:
        return None
    return [image if isinstance(image, Mapping) else {key: image} for image in images]


_CREATE_TASK_OPTIONS: dict[str, Any] = {"cache_policy": NO_CACHE, "tags": ["kling"]}


@task(name="kling-text-to-video", **_CREATE_TASK_OPTIONS)
def text_to_video(
    credentials: KlingCredentials,
    prompt: str | None = None,
    *,
    request: Mapping[str, Any] | BaseModel | None = None,
    idempotency_key: str | None = None,
    **fields: Any,
) -> TaskReference:
    """Create a text-to-video task.

    Args:
        credentials: Where and how to reach Kling.
        prompt: What the video shows.
        request: All fields at once, as a mapping or `TextToVideoRequest`.
        idempotency_key: Ask for a fresh take of a request made before.
        **fields: Any other field of `TextToVideoRequest` (model_name, mode, duration,
            aspect_ratio, negative_prompt, cfg_scale, camera_control, callback_url, ...).
    """
    data = _fields(request, {"prompt": prompt, **fields})
    return create_task(credentials, "text2video", data, idempotency_key=idempotency_key)


@task(name="kling-image-to-video", **_CREATE_TASK_OPTIONS)
def image_to_video(
    credentials: KlingCredentials,
    image: ImageSource = None,
    *,
    request: Mapping[str, Any] | BaseModel | None = None,
    idempotency_key: str | None = None,
    **fields: Any,
) -> TaskReference:
    """Create an image-to-video task (start frame, end frame, motion brush, camera).

    Args:
        credentials: Where and how to reach Kling.
        image: The start frame: URL, local path, bytes or Base64.
        request: All fields at once, as a mapping or `ImageToVideoRequest`.
        idempotency_key: Ask for a fresh take of a request made before.
        **fields: Any other field of `ImageToVideoRequest` (image_tail, prompt, model_name,
            mode, duration, static_mask, dynamic_masks, camera_control, ...).
    """
    data = _fields(request, {"image": image, **fields})
    return create_task(credentials, "image2video", data, idempotency_key=idempotency_key)


@task(name="kling-multi-image-to-video", **_CREATE_TASK_OPTIONS)
def multi_image_to_video(
    credentials: KlingCredentials,
    images: Sequence[ImageSource] | None = None,
    prompt: str | None = None,
    *,
    request: Mapping[str, Any] | BaseModel | None = None,
    idempotency_key: str | None = None,
    **fields: Any,
) -> TaskReference:
    """Create a multi-image-to-video task from 1 to 4 reference images (2 to 4 on CometAPI).

    Args:
        credentials: Where and how to reach Kling.
        images: The reference images (URLs, paths, bytes or Base64).
        prompt: What the video shows.
        request: All fields at once, as a mapping or `MultiImageToVideoRequest`.
        idempotency_key: Ask for a fresh take of a request made before.
        **fields: Any other field of `MultiImageToVideoRequest`.
    """
    data = _fields(request, {"image_list": _items(images, "image"), "prompt": prompt, **fields})
    return create_task(credentials, "multi-image2video", data, idempotency_key=idempotency_key)


@task(name="kling-multi-image-to-image", **_CREATE_TASK_OPTIONS)
def multi_image_to_image(
    credentials: KlingCredentials,
    subjects: Sequence[ImageSource] | None = None,
    prompt: str | None = None,
    *,
    request: Mapping[str, Any] | BaseModel | None = None,
    idempotency_key: str | None = None,
    **fields: Any,
) -> TaskReference:
    """Create a multi-image-to-image task from subject images, with optional scene and style.

    Args:
        credentials: Where and how to reach Kling.
        subjects: The subject images (URLs, paths, bytes or Base64).
        prompt: What the image shows.
        request: All fields at once, as a mapping or `MultiImageToImageRequest`.
        idempotency_key: Ask for a fresh take of a request made before.
        **fields: Any other field of `MultiImageToImageRequest` (scene_image, style_image,
            n, aspect_ratio, ...).
    """
    data = _fields(
        request,
        {"subject_image_list": _items(subjects, "subject_image"), "prompt": prompt, **fields},
    )
    return create_task(credentials, "multi-image2image", data, idempotency_key=idempotency_key)


@task(name="kling-get-task", cache_policy=NO_CACHE, tags=["kling"])
def get_task(
    credentials: KlingCredentials,
    reference: TaskReference | None = None,
    *,
    endpoint: str | None = None,
    task_id: str | None = None,
    external_task_id: str | None = None,
) -> KlingTask:
    """Query a task once: by reference, or by endpoint and task id or external id.

    Args:
        credentials: Where and how to reach Kling.
        reference: A reference from a create task (this run or an earlier one).
        endpoint: Endpoint name, when no reference is given.
        task_id: Kling's task id, when no reference is given.
        external_task_id: The create's external id, when no task id is known.
    """
    if reference is not None:
        endpoint, task_id = reference.endpoint, reference.task_id
    if endpoint is None:
        raise ValueError("give a reference, or an endpoint with a task_id or external_task_id")
    with credentials.get_client() as client:
        return client.get_task(endpoint, task_id, external_task_id=external_task_id)


@task(name="kling-generate-image", **_CREATE_TASK_OPTIONS)
def generate_image(
    credentials: KlingCredentials,
    prompt: str | None = None,
    *,
    request: Mapping[str, Any] | BaseModel | None = None,
    idempotency_key: str | None = None,
    **fields: Any,
) -> TaskReference:
    """Create a text-to-image or image-to-image task (`images/generations`).

    Args:
        credentials: Where and how to reach Kling.
        prompt: What the image shows.
        request: All fields at once, as a mapping or `ImageGenerationRequest`.
        idempotency_key: Ask for a fresh take of a request made before.
        **fields: Any other field of `ImageGenerationRequest` (image, image_reference,
            image_fidelity, resolution, n, aspect_ratio, model_name, ...).
    """
    data = _fields(request, {"prompt": prompt, **fields})
    return create_task(credentials, "image-generation", data, idempotency_key=idempotency_key)


@task(name="kling-extend-video", **_CREATE_TASK_OPTIONS)
def extend_video(
    credentials: KlingCredentials,
    video_id: str | None = None,
    *,
    request: Mapping[str, Any] | BaseModel | None = None,
    idempotency_key: str | None = None,
    **fields: Any,
) -> TaskReference:
    """Extend a Kling video by 4 to 5 seconds (official API; videos under 30 days old).

    Args:
        credentials: Where and how to reach Kling.
        video_id: The `id` of a video from an earlier result (`task.videos[0].id`).
        request: All fields at once, as a mapping or `VideoExtendRequest`.
        idempotency_key: Ask for a fresh take of a request made before.
        **fields: prompt, negative_prompt, cfg_scale, callback_url, external_task_id.
    """
    data = _fields(request, {"video_id": video_id, **fields})
    return create_task(credentials, "video-extend", data, idempotency_key=idempotency_key)


_VIDEO_SOURCE = ("video_id", "video_url")
_FACE_PENDING = "(identify-face)"
"""Stands in for what identify-face will tell, while a request is checked beforehand."""


def _given(value: Any) -> Any:
    """A face choice as the fields given (None values left out); anything else as is."""
    if isinstance(value, BaseModel):
        return value.model_dump(exclude_none=True)
    if isinstance(value, Mapping):
        return {key: item for key, item in value.items() if item is not None}
    return value  # refused by the request model, which names its place


def _draft_choice(choice: Any) -> Any:
    """A face choice with stand-ins for what identify-face will tell (the face, its end)."""
    if not isinstance(choice, dict):
        return choice
    start = choice.get("sound_start_time", 0)
    end = start + 1 if isinstance(start, int) and not isinstance(start, bool) else 1
    return {"face_id": _FACE_PENDING, "sound_end_time": end, **choice}


@dataclass(frozen=True)
class LipSyncPlan:
    """An advanced lip-sync that names its video instead of a session, checked.

    `check` validates everything before anything is sent; `request` completes it from
    identify-face's answer. The external task id comes from the video and the face
    choices, never from the session (identify-face opens a new one on every call), so
    the same request is the same task: a rerun finds it instead of paying again.

    A face choice may leave out `face_id` (it takes the first face not chosen
    otherwise), `sound_insert_time` (the clip starts when its face appears) and
    `sound_end_time` (the audio plays until its face leaves the video).

    Attributes:
        source: What identify-face is asked: `video_id` or `video_url`.
        choices: The face choices as given.
        rest: The other fields (`callback_url`, ...).
        external_task_id: The create's external id.
    """

    source: dict[str, Any]
    choices: list[dict[str, Any]]
    rest: dict[str, Any]
    external_task_id: str

    @staticmethod
    def names_its_video(request: Any) -> bool:
        """Whether an advanced lip-sync request gives no session (so names its video)."""
        return isinstance(request, Mapping) and request.get("session_id") is None

    @classmethod
    def check(
        cls,
        request: Mapping[str, Any],
        provider: Provider,
        *,
        idempotency_key: str | None = None,
        strict: bool = False,
    ) -> Self:
        """Validate an advanced lip-sync given by its video, sending nothing.

        Raises:
            KlingValidationError: A field breaks a rule, or the provider has no route;
                the message names the field (or the provider).
        """
        endpoint = "advanced-lip-sync"
        source = {key: request[key] for key in _VIDEO_SOURCE if request.get(key) is not None}
        rest = {key: value for key, value in request.items() if key not in _VIDEO_SOURCE}
        raw = rest.pop("face_choose", None)
        choices = [_given(choice) for choice in raw] if isinstance(raw, list) else raw
        drafts = [_draft_choice(c) for c in choices] if isinstance(choices, list) else choices
        # The provider's route first, then the video, then the rest of the request.
        get_endpoint(endpoint).create_path(provider)
        try:
            IdentifyFaceRequest.model_validate(source)
        except ValidationError as error:
            errors = explain_errors(IdentifyFaceRequest, error.errors())
            raise KlingValidationError(problems_from_pydantic(errors), endpoint=endpoint) from None
        draft = {**rest, "session_id": _FACE_PENDING, "face_choose": drafts}
        checked = prepare_create(endpoint, draft, provider, strict=strict)
        # Only what was given, in its checked form (audio read from its path, for instance).
        given = [
            {key: value for key, value in checked_choice.items() if key in choice}
            for checked_choice, choice in zip(checked.payload["face_choose"], choices, strict=True)
        ]
        external_task_id = rest.get("external_task_id") or derive_external_task_id(
            endpoint, {**source, "face_choose": given}, idempotency_key
        )
        return cls(source, choices, rest, external_task_id)

    def request(self, faces: IdentifyFaceResult) -> dict[str, Any]:
        """The advanced lip-sync request, completed from identify-face's answer.

        Raises:
            KlingError: identify-face found fewer faces than choices without a face.
        """
        by_id = {face.face_id: face for face in faces.face_data if face.face_id is not None}
        chosen = {choice.get("face_id") for choice in self.choices}
        free = [face_id for face_id in faces.face_ids if face_id not in chosen]
        completed = []
        for given in self.choices:
            choice = dict(given)
            if "face_id" not in choice:
                if not free:
                    raise KlingError(
                        f"identify-face found {len(faces.face_ids)} face(s) in the video, "
                        "too few for the face choices given"
                    )
                choice["face_id"] = free.pop(0)
            face = by_id.get(choice["face_id"])
            if face is not None and face.start_time is not None:
                choice.setdefault("sound_insert_time", face.start_time)
            if "sound_end_time" not in choice:
                if face is None or face.end_time is None:
                    raise KlingValidationError.single(
                        "face_choose.sound_end_time",
                        f"missing, and identify-face gave no time span for face "
                        f"{choice['face_id']!r}; allowed: the end of the clip in milliseconds",
                        endpoint="advanced-lip-sync",
                    )
                shown_for = face.end_time - choice.get("sound_insert_time", 0)
                choice["sound_end_time"] = choice.get("sound_start_time", 0) + max(1, shown_for)
            completed.append(choice)
        return {
            **self.rest,
            "session_id": faces.session_id,
            "face_choose": completed,
            "external_task_id": self.external_task_id,
        }


@task(name="kling-lip-sync", **_CREATE_TASK_OPTIONS)
def lip_sync(
    credentials: KlingCredentials,
    *,
    advanced: bool = False,
    request: Mapping[str, Any] | BaseModel | None = None,
    idempotency_key: str | None = None,
    **fields: Any,
) -> TaskReference:
    """Make a video's face speak a text or an audio track.

    The legacy call (`advanced=False`) takes `LipSyncRequest` fields: `mode`
    (`text2video` or `audio2video`), `video_id` or `video_url`, and `text` with `voice_id`,
    or `audio_url` / `audio_file`. The current pair (`advanced=True`) takes `video_id` or
    `video_url` and `face_choose` (a list of `FaceChoice` fields): it checks them, identifies
    the video's faces (free, no task), then creates the advanced lip-sync; face choices may
    leave out `face_id`, `sound_insert_time` and `sound_end_time` (see `LipSyncPlan`). With
    a `session_id` from an earlier identify-face instead of the video, it creates at once.
    Either way the same request is the same task: a rerun does not pay again.

    Args:
        credentials: Where and how to reach Kling.
        advanced: Use identify-face + advanced-lip-sync instead of the legacy call.
        request: All fields at once, as a mapping or a request model.
        idempotency_key: Ask for a fresh take of a request made before.
        **fields: The fields described above.
    """
    data = _fields(request, fields)
    if not advanced:
        return create_task(credentials, "lip-sync", data, idempotency_key=idempotency_key)
    if not LipSyncPlan.names_its_video(data):
        return create_task(credentials, "advanced-lip-sync", data, idempotency_key=idempotency_key)
    plan = LipSyncPlan.check(data, credentials.provider, idempotency_key=idempotency_key)
    with credentials.get_client() as client:
        faces = client.identify_face(plan.source)
        return client.create("advanced-lip-sync", plan.request(faces))


@task(name="kling-apply-video-effect", **_CREATE_TASK_OPTIONS)
def apply_video_effect(
    credentials: KlingCredentials,
    effect_scene: str | None = None,
    *,
    request: Mapping[str, Any] | BaseModel | None = None,
    idempotency_key: str | None = None,
    **fields: Any,
) -> TaskReference:
    """Apply a video effect: single-image scenes take `image`, two-person scenes `images`.

    Args:
        credentials: Where and how to reach Kling.
        effect_scene: The effect, e.g. `hug` (two people) or a single-image scene.
        request: All fields at once, as a mapping or `VideoEffectRequest`.
        idempotency_key: Ask for a fresh take of a request made before.
        **fields: `image` or `images`, `duration`, `model_name`, `mode`, `callback_url`, ...
    """
    data = _fields(request, {"effect_scene": effect_scene, **fields})
    return create_task(credentials, "effects", data, idempotency_key=idempotency_key)


@task(name="kling-expand-image", **_CREATE_TASK_OPTIONS)
def expand_image(
    credentials: KlingCredentials,
    image: ImageSource = None,
    *,
    request: Mapping[str, Any] | BaseModel | None = None,
    idempotency_key: str | None = None,
    **fields: Any,
) -> TaskReference:
    """Outpaint an image (official API): grow the canvas up to 3 times its area.

    Args:
        credentials: Where and how to reach Kling.
        image: The image: URL, local path, bytes or Base64.
        request: All fields at once, as a mapping or `ImageExpandRequest`.
        idempotency_key: Ask for a fresh take of a request made before.
        **fields: `up_expansion_ratio`, `down_...`, `left_...`, `right_...` (0 to 2),
            `prompt`, `n`, `callback_url`, ...
    """
    data = _fields(request, {"image": image, **fields})
    return create_task(credentials, "image-expand", data, idempotency_key=idempotency_key)


@task(name="kling-virtual-try-on", **_CREATE_TASK_OPTIONS)
def virtual_try_on(
    credentials: KlingCredentials,
    human_image: ImageSource = None,
    cloth_image: ImageSource = None,
    *,
    request: Mapping[str, Any] | BaseModel | None = None,
    idempotency_key: str | None = None,
    **fields: Any,
) -> TaskReference:
    """Dress a person in a garment (Kolors virtual try-on).

    Args:
        credentials: Where and how to reach Kling.
        human_image: The person: URL, local path, bytes or Base64.
        cloth_image: The garment.
        request: All fields at once, as a mapping or `VirtualTryOnRequest`.
        idempotency_key: Ask for a fresh take of a request made before.
        **fields: `model_name` (`kolors-virtual-try-on-v1` or `-v1-5`), `callback_url`, ...
    """
    data = _fields(request, {"human_image": human_image, "cloth_image": cloth_image, **fields})
    return create_task(credentials, "virtual-try-on", data, idempotency_key=idempotency_key)


@task(name="kling-list-tasks", cache_policy=NO_CACHE, tags=["kling"])
def list_tasks(
    credentials: KlingCredentials, endpoint: str, *, page: int = 1, page_size: int = 30
) -> list[KlingTask]:
    """One page of an endpoint's tasks, newest first (page 1..1000, size 1..500)."""
    with credentials.get_client() as client:
        return client.list_tasks(endpoint, page=page, page_size=page_size)


@task(name="kling-get-account-costs", cache_policy=NO_CACHE, tags=["kling"])
def get_account_costs(
    credentials: KlingCredentials, *, resource_pack_name: str | None = None
) -> AccountCosts:
    """The account's resource packs and remaining units (official API; free, creates nothing).

    Kling updates remaining units with a delay of up to 12 hours.
    """
    with credentials.get_client() as client:
        return client.account_costs(AccountCostsQuery(resource_pack_name=resource_pack_name))
