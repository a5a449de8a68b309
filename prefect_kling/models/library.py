"""Custom elements and voices: the requests that make, list and delete them, and the answers.

An element is a subject (a person, an animal, an item, a costume, a scene) that later
videos can show again; a voice is a voice they can speak with. Kling keeps both in the
account's library; creating one is a task (`ElementRequest`, `VoiceRequest`), listing
and deleting are calls answered at once (`LibraryPage`, `DeleteElementRequest`,
`DeleteVoiceRequest`). What a video request names is the id: `Element.element_id`,
`Voice.voice_id`.

The rules Kling's pages state are data here and in the endpoint rows
(`prefect_kling.endpoints.library`): names of at most 20 characters, descriptions of at
most 100; an element made from images (`image_refer`) has one frontal image and 1 to 3
more, each a JPG or PNG of at most 10 MB, at least 300 px a side, aspect 1:2.5 to 2.5:1
(checked for local images, as for every image); one made from a video (`video_refer`) has
one link to a 3 to 8 s `.mp4` or `.mov` (1080p, 16:9 or 9:16, at most 200 MB: Kling
checks what a link holds); tags are `o_101` to `o_108`. A voice comes from a link to a
5 to 30 s `.mp3`, `.wav`, `.mp4` or `.mov`, or from a Kling video with speech
(`video_id`).

Examples:
    >>> from prefect_kling.providers import Provider
    >>> request = ElementRequest(
    ...     element_name="Rusty",
    ...     element_description="A red fox with a white-tipped tail",
    ...     element_image_list={
    ...         "frontal_image": "https://example.com/front.png",
    ...         "refer_images": [{"image_url": "https://example.com/side.png"}],
    ...     },
    ...     tag_list=[{"tag_id": "animal"}],
    ... )
    >>> payload = request.to_payload(Provider.KLING)
    >>> payload["reference_type"], payload["tag_list"]
    ('image_refer', [{'tag_id': 'o_103'}])
"""

from __future__ import annotations

import unicodedata
from pathlib import PurePosixPath
from typing import Annotated, Any, Literal, Self, TypeVar
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, Field, RootModel, model_validator

from prefect_kling.models.common import (
    CallbackUrl,
    ExternalTaskId,
    ImageInput,
    KlingRequest,
    StrictModel,
    VideoId,
    exactly_one,
    rule_error,
    show,
    whole_error,
)
from prefect_kling.models.kling_task import KlingTask, _Lenient
from prefect_kling.models.lipsync import HttpUrlText

# --- Kling's limits, as its element and voice pages state them. ----------------------------

NAME_CHARS = 20
"""Longest element or voice name, in characters."""
DESCRIPTION_CHARS = 100
"""Longest element description, in characters."""
REFER_IMAGES = (1, 3)
"""Fewest and most reference images beside the frontal one (`image_refer`)."""
REFER_VIDEOS = (1, 1)
"""Reference videos of a video element: exactly one."""
ELEMENT_VIDEO_FORMATS = (".mp4", ".mov")
ELEMENT_VIDEO_SECONDS = (3, 8)
"""Length of an element's reference video (Kling checks it: a link is not fetched here)."""
VOICE_FORMATS = (".mp3", ".wav", ".mp4", ".mov")
VOICE_SECONDS = (5, 30)
"""Length of a voice's speech (Kling checks it: a link is not fetched here)."""
ELEMENT_TAGS = {
    "o_101": "Hottest",
    "o_102": "Character",
    "o_103": "Animal",
    "o_104": "Item",
    "o_105": "Costume",
    "o_106": "Scene",
    "o_107": "Effect",
    "o_108": "Others",
}
"""Kling's element tags: id and name."""
PAGES = 1000
"""Highest page number of the list queries."""
ELEMENT_PAGE_SIZE = 500
"""Largest page of the element lists."""
VOICE_PAGE_SIZE = 1000
"""Largest page of the voice lists."""
OFFICIAL_OWNER = "kling"
"""`owned_by` of Kling's own (preset) elements and voices; custom ones carry a creator id."""

_INVISIBLE = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})


def _visible(value: str) -> str:
    if not value or all(unicodedata.category(ch) in _INVISIBLE for ch in value):
        raise whole_error(f"{show(value)} has no visible character; allowed: a name or words")
    return value


Name = Annotated[str, AfterValidator(_visible)]
"""A name or description: text with a visible character (lengths are the row's limits)."""


def _id_text(value: Any) -> Any:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _library_id(value: str) -> str:
    text = value.strip()
    if not text or not all(ch.isascii() and (ch.isalnum() or ch in "_-") for ch in text):
        raise whole_error(
            f"{show(value)} is not an id; allowed: letters, digits, '_' and '-', e.g. "
            "'859402' (the ids `prefect-kling elements list` and `voices list` show)"
        )
    return text


LibraryId = Annotated[str, BeforeValidator(_id_text), AfterValidator(_library_id)]
"""An element or voice id (Kling's are numeric; an int is accepted)."""


def _link_to(formats: tuple[str, ...]) -> Any:
    """An after-validator: a link whose file name, when it has an extension, has one of these."""

    def check(url: str) -> str:
        suffix = PurePosixPath(urlsplit(url).path).suffix.lower()
        # Only a suffix that looks like a file type: `/v1.2/clip` names no format.
        if suffix[1:].isalpha() and suffix not in formats:
            either = f"{', '.join(formats[:-1])} or {formats[-1]}"
            raise whole_error(
                f"{show(url)} names a {suffix} file; allowed: a link to a {either} file"
            )
        return url

    return AfterValidator(check)


ElementVideoLink = Annotated[HttpUrlText, _link_to(ELEMENT_VIDEO_FORMATS)]
VoiceLink = Annotated[HttpUrlText, _link_to(VOICE_FORMATS)]


def _tag_id(value: Any) -> Any:
    """A tag id, or a tag's name in any case (`animal` is `o_103`)."""
    if not isinstance(value, str):
        return value
    by_name = {name.lower(): tag for tag, name in ELEMENT_TAGS.items()}
    tag = value.strip().lower()
    tag = by_name.get(tag, tag)
    if tag not in ELEMENT_TAGS:
        known = ", ".join(f"{tag} ({name})" for tag, name in ELEMENT_TAGS.items())
        raise whole_error(f"{show(value)} is not a tag; allowed: {known}")
    return tag


# --- Requests. -------------------------------------------------------------------------------


class ReferImage(StrictModel):
    """One more picture of the subject: another angle, or a close-up."""

    image_url: ImageInput = Field(description="URL, local path, bytes or Base64 of a JPG or PNG.")


class ElementImages(StrictModel):
    """The pictures of an image element: one frontal, and 1 to 3 others."""

    frontal_image: ImageInput = Field(
        description="The subject seen from the front: URL, local path, bytes or Base64."
    )
    refer_images: list[ReferImage] = Field(
        description="1 to 3 pictures that differ from the front (angles, close-ups)."
    )


class ReferVideo(StrictModel):
    """The video of a video element."""

    video_url: ElementVideoLink = Field(
        description="Link to a 3 to 8 s .mp4 or .mov, 1080p, 16:9 or 9:16, at most 200 MB."
    )


class ElementVideos(StrictModel):
    """The video of a video element: exactly one, of a realistic humanoid figure."""

    refer_videos: list[ReferVideo] = Field(description="Exactly one reference video.")


class ElementTag(StrictModel):
    """One tag of an element."""

    tag_id: Annotated[str, BeforeValidator(_tag_id)] = Field(
        description="`o_101` to `o_108`, or the tag's name (`Character`, `Animal`, ...)."
    )


ReferenceType = Literal["image_refer", "video_refer"]


class ElementRequest(KlingRequest):
    """Create a custom element (`POST /v1/general/advanced-custom-elements`), a task.

    `reference_type` may be left out: it follows from the pictures (`element_image_list`,
    `image_refer`) or the video (`element_video_list`, `video_refer`) given. Tags may be
    given by name.

    Examples:
        >>> from prefect_kling.providers import Provider
        >>> video = {"refer_videos": [{"video_url": "https://example.com/me.mp4"}]}
        >>> ElementRequest(
        ...     element_name="Me", element_description="Me, waving", element_video_list=video
        ... ).reference_type
        'video_refer'
    """

    element_name: Name = Field(description="The element's name, at most 20 characters.")
    element_description: Name = Field(description="What the element is, at most 100 characters.")
    reference_type: ReferenceType | None = Field(
        None,
        description="`image_refer` (pictures) or `video_refer` (a video); follows from "
        "the pictures or video given when left out.",
    )
    element_image_list: ElementImages | None = Field(
        None, description="The pictures of an `image_refer` element."
    )
    element_video_list: ElementVideos | None = Field(
        None, description="The video of a `video_refer` element (kling-video-o3 and later)."
    )
    element_voice_id: LibraryId | None = Field(
        None,
        description="A voice for the element (from the voice library); for characters and "
        "humanoid image elements.",
    )
    tag_list: list[ElementTag] | None = Field(None, description="Tags of the element.")
    callback_url: CallbackUrl = None
    external_task_id: ExternalTaskId = None

    @model_validator(mode="before")
    @classmethod
    def _infer_reference_type(cls, data: Any) -> Any:
        if not isinstance(data, dict) or data.get("reference_type") is not None:
            return data
        images, video = (data.get(name) is not None for name in _LISTS.values())
        if images != video:
            return {**data, "reference_type": "image_refer" if images else "video_refer"}
        return data

    @model_validator(mode="after")
    def _one_reference(self) -> Self:
        if self.reference_type is None and self.element_video_list is not None:
            raise rule_error(
                "element_video_list",
                "given with element_image_list; allowed: one of element_image_list (pictures) "
                "or element_video_list (a video)",
            )
        if self.reference_type is None:
            raise rule_error(
                "element_image_list",
                "missing, and so is element_video_list; allowed: element_image_list (a "
                "frontal image and 1 to 3 more) or element_video_list (one 3 to 8 s video)",
            )
        wanted = _LISTS[self.reference_type]
        other = _LISTS["video_refer" if self.reference_type == "image_refer" else "image_refer"]
        if getattr(self, other) is not None:
            raise rule_error(
                other,
                f"given with reference_type {self.reference_type!r}; allowed: {wanted} only",
            )
        if getattr(self, wanted) is None:
            raise rule_error(
                wanted, f"missing; allowed: required with reference_type {self.reference_type!r}"
            )
        return self


_LISTS = {"image_refer": "element_image_list", "video_refer": "element_video_list"}
"""The field that holds the reference of each reference type."""


class VoiceRequest(KlingRequest):
    """Create a custom voice (`POST /v1/general/custom-voices`), a task.

    The speech comes from a link (`voice_url`) or from a Kling video (`video_id`: made by
    kling-v2-6 with sound on, by the Avatar API or by lip-sync): exactly one. It must be
    clean, one voice only, 5 to 30 seconds.

    Examples:
        >>> from prefect_kling.providers import Provider
        >>> VoiceRequest(voice_name="Narrator", video_id=859402).to_payload(Provider.KLING)
        {'voice_name': 'Narrator', 'video_id': '859402'}
    """

    voice_name: Name = Field(description="The voice's name, at most 20 characters.")
    voice_url: VoiceLink | None = Field(
        None, description="Link to a 5 to 30 s .mp3, .wav, .mp4 or .mov; this or video_id."
    )
    video_id: VideoId | None = Field(
        None, description="Id of a Kling video with clean speech; this or voice_url."
    )
    callback_url: CallbackUrl = None
    external_task_id: ExternalTaskId = None

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        exactly_one(self, "voice_url", "video_id")
        return self


class LibraryPage(StrictModel):
    """Which page of an element list to read (`?pageNum=&pageSize=`).

    Examples:
        >>> LibraryPage(page=2).to_params()
        {'pageNum': 2, 'pageSize': 30}
    """

    page: int = Field(1, ge=1, le=PAGES, description="Page number, 1 to 1000.")
    page_size: int = Field(
        30, ge=1, le=ELEMENT_PAGE_SIZE, description="Entries per page, 1 to 500."
    )

    def to_params(self) -> dict[str, int]:
        """The query string, as Kling spells it."""
        return {"pageNum": self.page, "pageSize": self.page_size}


class VoicePage(LibraryPage):
    """Which page of a voice list to read: pages of up to 1000 voices."""

    page_size: int = Field(30, ge=1, le=VOICE_PAGE_SIZE, description="Entries per page, 1 to 1000.")


class DeleteElementRequest(KlingRequest):
    """Delete a custom element (`POST /v1/general/delete-advanced-elements`); presets stay."""

    element_id: LibraryId = Field(description="The element to delete.")


class DeleteVoiceRequest(KlingRequest):
    """Delete a custom voice (`POST /v1/general/delete-voices`); presets stay."""

    voice_id: LibraryId = Field(description="The voice to delete.")


# --- Answers. --------------------------------------------------------------------------------


def _text(value: Any) -> Any:
    return None if value is None else str(value)


class Voice(_Lenient):
    """A voice of the library (yours, or one of Kling's presets)."""

    voice_id: Annotated[str | None, BeforeValidator(_text)] = Field(
        default=None, description="The id a video request names the voice by."
    )
    voice_name: str | None = Field(default=None, description="The voice's name.")
    trial_url: str | None = Field(default=None, description="Link to a sample of the voice.")
    owned_by: Annotated[str | None, BeforeValidator(_text)] = Field(
        default=None, description="`kling` for Kling's presets, else the creator's id."
    )
    status: str | None = Field(
        default=None, description="`succeed`, or `deleted` once deleted (where Kling says)."
    )

    @property
    def official(self) -> bool:
        """Whether it is one of Kling's presets."""
        return self.owned_by == OFFICIAL_OWNER

    @property
    def deleted(self) -> bool:
        """Whether it was deleted."""
        return self.status == "deleted"


class Element(_Lenient):
    """An element of the library (yours, or one of Kling's presets).

    Examples:
        >>> element = Element.model_validate({
        ...     "element_id": 859402, "element_name": "Rusty", "owned_by": "kling",
        ...     "element_voice_info": {}, "status": "succeed",
        ... })
        >>> element.element_id, element.official, element.deleted, element.voice
        ('859402', True, False, None)
    """

    element_id: Annotated[str | None, BeforeValidator(_text)] = Field(
        default=None, description="The id a video request names the element by."
    )
    element_name: str | None = Field(default=None, description="The element's name.")
    element_description: str | None = Field(default=None, description="What it is.")
    reference_type: str | None = Field(default=None, description="`image_refer` or `video_refer`.")
    element_image_list: dict[str, Any] | None = Field(
        default=None, description="Its pictures, as Kling keeps them."
    )
    element_video_list: dict[str, Any] | None = Field(
        default=None, description="Its video, as Kling keeps it."
    )
    element_voice_info: Voice | None = Field(default=None, description="Its voice, if any.")
    tag_list: list[dict[str, Any]] = Field(default_factory=list, description="Its tags.")
    owned_by: Annotated[str | None, BeforeValidator(_text)] = Field(
        default=None, description="`kling` for Kling's presets, else the creator's id."
    )
    status: str | None = Field(default=None, description="`succeed`, or `deleted` once deleted.")

    @model_validator(mode="before")
    @classmethod
    def _empty_parts(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        empty = ("element_voice_info", "element_image_list", "element_video_list", "tag_list")
        return {key: value for key, value in data.items() if key not in empty or value}

    @property
    def official(self) -> bool:
        """Whether it is one of Kling's presets."""
        return self.owned_by == OFFICIAL_OWNER

    @property
    def deleted(self) -> bool:
        """Whether it was deleted."""
        return self.status == "deleted"

    @property
    def voice(self) -> Voice | None:
        """Its voice, when it has one."""
        return self.element_voice_info

    @property
    def tags(self) -> list[str]:
        """Its tags by name (`Animal`), or by id when the name is unknown."""
        ids = [str(tag.get("tag_id")) for tag in self.tag_list if tag.get("tag_id")]
        return [ELEMENT_TAGS.get(tag, tag) for tag in ids]


class LibraryTasks(RootModel[list[KlingTask]]):
    """The `data` of a list answer: tasks, each with the elements or voices it made."""

    @model_validator(mode="before")
    @classmethod
    def _none_is_empty(cls, data: Any) -> Any:
        return [] if data is None else data


class DeleteAnswer(_Lenient):
    """What Kling answers to a deletion."""

    task_id: Annotated[str | None, BeforeValidator(_text)] = Field(
        default=None, description="Kling's id of the deletion."
    )
    task_status: str | None = Field(default=None, description="Its status, e.g. `succeed`.")

    @model_validator(mode="before")
    @classmethod
    def _none_is_empty(cls, data: Any) -> Any:
        return {} if data is None else data


Entry = TypeVar("Entry", Element, Voice)


def entries_of(task: KlingTask, results: str, model: type[Entry]) -> list[Entry]:
    """What a task made, from one field of its result (none until it succeeded).

    Args:
        task: A creation task, as a query or list answered it.
        results: The field of `task_result`: `elements` or `voices`.
        model: `Element` or `Voice`.
    """
    found = (task.task_result.model_extra or {}).get(results) or []
    return [model.model_validate(item) for item in found if isinstance(item, dict)]


def elements_of(task: KlingTask) -> list[Element]:
    """The elements a task made (`task_result.elements`); none until it succeeded.

    Examples:
        >>> task = KlingTask.model_validate({"task_id": "1", "task_status": "succeed",
        ...     "task_result": {"elements": [{"element_id": 7, "element_name": "Rusty"}]}})
        >>> [element.element_id for element in elements_of(task)]
        ['7']
    """
    return entries_of(task, "elements", Element)


def voices_of(task: KlingTask) -> list[Voice]:
    """The voices a task made (`task_result.voices`); none until it succeeded."""
    return entries_of(task, "voices", Voice)
