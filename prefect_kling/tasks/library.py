"""Tasks of the account's library: custom elements and voices, and Kling's presets.

`create_element` and `create_voice` create the entry and wait for it, and return it: its
`element_id` or `voice_id` is what a video request names. The same request names the same
Kling task, so a rerun returns the entry made before instead of paying for another; a new
`idempotency_key` asks for another. The lists and deletions are answered at once. All of
them are on Kling's official API only: a CometAPI key is refused before anything is sent.

Examples:
    ```python
    from prefect import flow
    from prefect_kling import KlingCredentials, create_element, create_voice

    @flow
    def cast() -> tuple[str, str]:
        credentials = KlingCredentials.load("kling")
        voice = create_voice(credentials, "Rusty's voice", voice_url="https://example.com/r.mp3")
        fox = create_element(
            credentials,
            "Rusty",
            "A red fox with a white-tipped tail",
            frontal_image="fox-front.png",
            refer_images=["fox-side.png", "fox-back.png"],
            voice_id=voice.voice_id,
            tags=["Animal"],
        )
        return fox.element_id, voice.voice_id
    ```
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from prefect import task

from prefect_kling.credentials import KlingCredentials
from prefect_kling.endpoints.library import ELEMENTS, VOICES
from prefect_kling.library import create_entry, delete_entry, list_entries
from prefect_kling.models.library import (
    DeleteAnswer,
    Element,
    ElementRequest,
    Voice,
    VoiceRequest,
)
from prefect_kling.runtime import Runtime
from prefect_kling.tasks.creating import TASK_OPTIONS, Fields, ImageSource, request_fields
from prefect_kling.waiting import DEFAULT_MAX_WAIT_SECONDS, StatusCallback

__all__ = [
    "create_element",
    "create_voice",
    "delete_element",
    "delete_voice",
    "list_elements",
    "list_preset_elements",
    "list_preset_voices",
    "list_voices",
]


def element_fields(
    *,
    frontal_image: ImageSource = None,
    refer_images: Sequence[ImageSource] | None = None,
    video_url: str | None = None,
    tags: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The request fields of `create_element`'s shortcuts, in Kling's shape.

    Examples:
        >>> element_fields(frontal_image="f.png", refer_images=["s.png"], tags=["Animal"])
        ... # doctest: +NORMALIZE_WHITESPACE
        {'element_image_list': {'frontal_image': 'f.png', 'refer_images': [{'image_url': 's.png'}]},
         'tag_list': [{'tag_id': 'Animal'}]}
    """
    fields: dict[str, Any] = {}
    if frontal_image is not None or refer_images is not None:
        images: dict[str, Any] = {"frontal_image": frontal_image}
        if refer_images is not None:
            images["refer_images"] = [{"image_url": image} for image in refer_images]
        fields["element_image_list"] = {k: v for k, v in images.items() if v is not None}
    if video_url is not None:
        fields["element_video_list"] = {"refer_videos": [{"video_url": video_url}]}
    if tags is not None:
        fields["tag_list"] = [{"tag_id": tag} for tag in tags]
    return fields


@task(name="kling-create-element", **TASK_OPTIONS)
def create_element(
    credentials: KlingCredentials,
    name: str | None = None,
    description: str | None = None,
    *,
    frontal_image: ImageSource = None,
    refer_images: Sequence[ImageSource] | None = None,
    video_url: str | None = None,
    voice_id: str | None = None,
    tags: Sequence[str] | None = None,
    request: Fields | ElementRequest | None = None,
    idempotency_key: str | None = None,
    max_wait_seconds: float = DEFAULT_MAX_WAIT_SECONDS,
    poll_interval_seconds: float = 2.0,
    on_status: StatusCallback | None = None,
    runtime: Runtime | None = None,
    **fields: Any,
) -> Element:
    """Create a custom element, wait for it, and return it (its `element_id` names it).

    From pictures (one frontal and 1 to 3 others: URLs, local paths, bytes or Base64; JPG
    or PNG, at most 10 MB, at least 300 px a side) or from one link to a 3 to 8 s video of
    a realistic person (.mp4 or .mov, 1080p, 16:9 or 9:16; kling-video-o3 and later).

    Args:
        credentials: Where and how to reach Kling (official API only).
        name: The element's name, at most 20 characters.
        description: What it is, at most 100 characters.
        frontal_image: The subject seen from the front.
        refer_images: 1 to 3 more pictures (other angles, close-ups).
        video_url: Instead of pictures: the link to the video.
        voice_id: A voice for the element (`create_voice`, `list_preset_voices`).
        tags: Tag ids (`o_101` to `o_108`) or names (`Character`, `Animal`, `Item`, ...).
        request: All fields at once, as a mapping or `ElementRequest`.
        idempotency_key: Ask for a fresh take of a request made before.
        max_wait_seconds: Longest wait for the element.
        poll_interval_seconds: First pause between queries (it grows to 30 s).
        on_status: Called with the task and the seconds waited on every status change.
        runtime: Clock, sleep and client factory (`KlingSimulator.runtime()` waits on the
            simulator's clock); the current runtime by default.
        **fields: Any other field of `ElementRequest` (`callback_url`, `external_task_id`).

    Returns:
        The element, as Kling lists it.

    Raises:
        KlingValidationError: A value breaks Kling's rules, or the provider has no such
            route; nothing was sent. Also when this same request made an element that was
            deleted since: give a new `idempotency_key` to make it again.
        KlingTaskFailed: Kling could not make the element.
        KlingTaskTimedOut: The wait ran out; the task goes on (see `wait_for_task`).
    """
    data = request_fields(
        request,
        element_name=name,
        element_description=description,
        element_voice_id=voice_id,
        **element_fields(
            frontal_image=frontal_image, refer_images=refer_images, video_url=video_url, tags=tags
        ),
        **fields,
    )
    made = create_entry(
        credentials,
        ELEMENTS,
        data,
        idempotency_key=idempotency_key,
        max_wait_seconds=max_wait_seconds,
        poll_interval_seconds=poll_interval_seconds,
        on_status=on_status,
        runtime=runtime,
    )
    return made.entry


@task(name="kling-create-voice", **TASK_OPTIONS)
def create_voice(
    credentials: KlingCredentials,
    name: str | None = None,
    *,
    voice_url: str | None = None,
    video_id: str | None = None,
    request: Fields | VoiceRequest | None = None,
    idempotency_key: str | None = None,
    max_wait_seconds: float = DEFAULT_MAX_WAIT_SECONDS,
    poll_interval_seconds: float = 2.0,
    on_status: StatusCallback | None = None,
    runtime: Runtime | None = None,
    **fields: Any,
) -> Voice:
    """Create a custom voice, wait for it, and return it (its `voice_id` names it).

    The speech is clean, one voice, 5 to 30 seconds: a link to an .mp3, .wav, .mp4 or
    .mov, or a Kling video with speech (made by kling-v2-6 with sound, the Avatar API or
    lip-sync).

    Args:
        credentials: Where and how to reach Kling (official API only).
        name: The voice's name, at most 20 characters.
        voice_url: The link to the speech; this or `video_id`.
        video_id: The id of a Kling video with the speech; this or `voice_url`.
        request: All fields at once, as a mapping or `VoiceRequest`.
        idempotency_key: Ask for a fresh take of a request made before.
        max_wait_seconds: Longest wait for the voice.
        poll_interval_seconds: First pause between queries (it grows to 30 s).
        on_status: Called with the task and the seconds waited on every status change.
        runtime: Clock, sleep and client factory; the current runtime by default.
        **fields: Any other field of `VoiceRequest` (`callback_url`, `external_task_id`).

    Returns:
        The voice, as Kling lists it.

    Raises:
        KlingValidationError: As `create_element`.
        KlingTaskFailed: Kling could not make the voice.
        KlingTaskTimedOut: The wait ran out; the task goes on (see `wait_for_task`).
    """
    data = request_fields(
        request, voice_name=name, voice_url=voice_url, video_id=video_id, **fields
    )
    made = create_entry(
        credentials,
        VOICES,
        data,
        idempotency_key=idempotency_key,
        max_wait_seconds=max_wait_seconds,
        poll_interval_seconds=poll_interval_seconds,
        on_status=on_status,
        runtime=runtime,
    )
    return made.entry


@task(name="kling-list-elements", **TASK_OPTIONS)
def list_elements(
    credentials: KlingCredentials, *, page: int = 1, page_size: int = 30
) -> list[Element]:
    """One page of your elements, newest first (page 1..1000, size 1..500).

    Deleted ones are listed too (`deleted`); creations still running or failed are not.
    """
    return list_entries(credentials, ELEMENTS, page=page, page_size=page_size)


@task(name="kling-list-preset-elements", **TASK_OPTIONS)
def list_preset_elements(
    credentials: KlingCredentials, *, page: int = 1, page_size: int = 30
) -> list[Element]:
    """One page of Kling's own elements (`owned_by` `kling`; page 1..1000, size 1..500)."""
    return list_entries(credentials, ELEMENTS, presets=True, page=page, page_size=page_size)


@task(name="kling-delete-element", **TASK_OPTIONS)
def delete_element(credentials: KlingCredentials, element_id: str) -> DeleteAnswer:
    """Delete one of your elements (Kling's presets cannot be); lists then show it `deleted`."""
    return delete_entry(credentials, ELEMENTS, element_id)


@task(name="kling-list-voices", **TASK_OPTIONS)
def list_voices(
    credentials: KlingCredentials, *, page: int = 1, page_size: int = 30
) -> list[Voice]:
    """One page of your voices, newest first (page 1..1000, size 1..1000)."""
    return list_entries(credentials, VOICES, page=page, page_size=page_size)


@task(name="kling-list-preset-voices", **TASK_OPTIONS)
def list_preset_voices(
    credentials: KlingCredentials, *, page: int = 1, page_size: int = 30
) -> list[Voice]:
    """One page of Kling's own voices (`owned_by` `kling`; page 1..1000, size 1..1000)."""
    return list_entries(credentials, VOICES, presets=True, page=page, page_size=page_size)


@task(name="kling-delete-voice", **TASK_OPTIONS)
def delete_voice(credentials: KlingCredentials, voice_id: str) -> DeleteAnswer:
    """Delete one of your voices (Kling's presets cannot be deleted)."""
    return delete_entry(credentials, VOICES, voice_id)
