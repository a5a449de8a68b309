"""The newer standard's rules between parts and settings, per product and model.

Written from Kling's pages of 2026-09-20 (image-to-video, omni-video, motion control):

- frames: a last frame needs a first frame (last-frame-only is not supported anywhere);
  image-to-video needs a first frame; kling-2.6 and kling-2.5-turbo take first + last only
  at 1080p;
- audio: kling-2.6's native audio only at 1080p; a voice (kling-2.6 image-to-video, at most
  2) needs audio other than `off`;
- elements: at most 3 on kling-3.0 image-to-video, 1 on kling-3.0 motion control;
- kling-3.0-omni: at most one reference video (`feature_video` or `base_video`); with a first
  frame at most 3 elements; without a reference video, refer images plus multi-image
  elements at most 7 (4 when video-character elements are there too) and at most 3
  video-character elements; with one, at most one video-character element, not together
  with multi-image elements or refer images, and refer images plus multi-image elements at
  most 4; a `feature_video` takes audio `off` only and multi-shot only; a `base_video`
  takes no frames, no native audio and no multi-shot;
- kling-o1: multi-image elements only; first + last frame take no refer image and no
  element; refer images plus elements at most 7, 4 with a reference video; a
  `feature_video` takes no last frame, a `base_video` no frames; a first frame without
  refer images or reference video makes 5 or 10 s only;
- motion control: a motion `video` and an appearance `image` (or, on kling-3.0, an
  element) are required.

Each refusal is `Invalid` (400/1201) naming the part or setting.
"""

from __future__ import annotations

from dataclasses import dataclass

from prefect_kling.simulator.orders import Invalid
from prefect_kling.simulator.standard_contents import REFERENCE_VIDEOS, Contents, Part
from prefect_kling.simulator.standard_models import (
    FIVE_OR_TEN,
    VIDEO_CHARACTER,
    StandardModel,
)


@dataclass(frozen=True)
class Settings:
    """The `settings` of a create, defaults filled in.

    Attributes:
        duration: Seconds (0 for motion control, which follows its video).
        resolution: `720p`, `1080p` or `4k`.
        aspect_ratio: `16:9`, `9:16` or `1:1`.
        audio: `native`, `original`, `off`, or `""` where the model has no audio setting.
        multi_shot: The value given, `None` when not given.
        orientation: `character_orientation` (motion control), else `None`.
    """

    duration: int
    resolution: str
    aspect_ratio: str = "16:9"
    audio: str = ""
    multi_shot: bool | None = None
    orientation: str | None = None


def check_frames(spec: StandardModel, contents: Contents, settings: Settings) -> None:
    """First and last frames: what each product takes, and at which resolution."""
    first, last = contents.of("first_frame"), contents.of("last_frame")
    if last and not first:
        raise Invalid(
            f"{last[0].label}: a last_frame needs a first_frame "
            "(last-frame-only video generation is not supported)"
        )
    if spec.product == "image-to-video" and not first:
        raise Invalid(f"contents needs a first_frame: {spec.name} starts from a first frame")
    if first and last and spec.frame_pair_1080p and settings.resolution != "1080p":
        raise Invalid(
            f"settings.resolution must be '1080p' with a first_frame and a last_frame on "
            f"{spec.name}; got {settings.resolution!r}"
        )


def check_audio(spec: StandardModel, contents: Contents, settings: Settings) -> None:
    """Native audio's resolution, and voices."""
    if spec.native_audio_1080p and settings.audio == "native" and settings.resolution != "1080p":
        raise Invalid(
            f"settings.resolution must be '1080p' with settings.audio 'native' on {spec.name}; "
            f"got {settings.resolution!r}"
        )
    voices = contents.of("voice")
    if len(voices) > spec.max_voices:
        raise Invalid(f"{voices[spec.max_voices].label}: at most {spec.max_voices} voices")
    if voices and settings.audio == "off":
        raise Invalid(
            f"settings.audio cannot be 'off' with a voice ({voices[0].label}): "
            "a voice needs settings.audio 'native'"
        )


def check_element_count(spec: StandardModel, contents: Contents) -> None:
    """The plain element limit of image-to-video and motion control."""
    elements = contents.of("element")
    if len(elements) > spec.max_elements:
        raise Invalid(
            f"{elements[spec.max_elements].label}: at most {spec.max_elements} "
            f"element(s) on {spec.name}"
        )


def check_motion(spec: StandardModel, contents: Contents) -> None:
    """A motion video, and an appearance image (or an element where elements are taken)."""
    if not contents.has("video"):
        raise Invalid("contents needs a video: the motion reference video")
    if not contents.has("image", "element"):
        what = "an image (or an element)" if "element" in spec.contents else "an image"
        raise Invalid(f"contents needs {what}: the appearance reference")


def _reference_video(contents: Contents) -> Part | None:
    videos = contents.of(*REFERENCE_VIDEOS)
    if len(videos) > 1:
        raise Invalid(
            f"{videos[1].label}: at most one reference video (feature_video or base_video)"
        )
    return videos[0] if videos else None


def _check_video_kind(spec: StandardModel, contents: Contents, settings: Settings) -> Part | None:
    video = _reference_video(contents)
    frames = contents.of("first_frame", "last_frame")
    if video is not None and video.type == "base_video":
        if frames:
            raise Invalid(f"{frames[0].label}: a base_video (the video to edit) takes no frames")
        if settings.audio == "native":
            raise Invalid("settings.audio cannot be 'native' with a base_video")
        if settings.multi_shot:
            raise Invalid("settings.multi_shot cannot be true with a base_video")
    if video is not None and video.type == "feature_video":
        o1 = spec.model == "kling-o1"
        if not o1 and settings.audio != "off":
            raise Invalid(
                f"settings.audio must be 'off' with a feature_video on {spec.name}; "
                f"got {settings.audio!r}"
            )
        if settings.multi_shot is False:
            raise Invalid("settings.multi_shot can only be true with a feature_video")
        last = contents.of("last_frame")
        if o1 and last:
            raise Invalid(f"{last[0].label}: with a feature_video, {spec.name} takes no last_frame")
    return video


def _too_many(limit: int, refers: int, elements: int, kind: str, with_video: bool) -> None:
    if refers + elements > limit:
        where = "with a reference video" if with_video else "without a reference video"
        raise Invalid(
            f"contents: refer_image parts and {kind} elements must total at most {limit} "
            f"{where}; got {refers} + {elements}"
        )


def check_omni(
    spec: StandardModel, contents: Contents, settings: Settings, kinds: dict[int, str]
) -> None:
    """kling-3.0-omni's and kling-o1's reference rules; `kinds` is each element's type."""
    video = _check_video_kind(spec, contents, settings)
    elements = contents.of("element")
    characters = [part for part in elements if kinds[part.position] == VIDEO_CHARACTER]
    multi = len(elements) - len(characters)
    refers = len(contents.of("refer_image"))
    if spec.model == "kling-o1":
        _check_o1(spec, contents, settings, characters, video)
        _too_many(4 if video else 7, refers, len(elements), "multi-image", video is not None)
        return
    if contents.has("first_frame") and len(elements) > 3:
        raise Invalid(f"{elements[3].label}: at most 3 elements with a first frame")
    if video is None:
        if len(characters) > 3:
            raise Invalid(f"{characters[3].label}: at most 3 video character elements")
        _too_many(4 if characters and multi else 7, refers, multi, "multi-image", False)
        return
    if characters and (multi or refers):
        other = "multi-image elements" if multi else "refer_image parts"
        raise Invalid(
            f"{characters[0].label}: with a reference video, video character elements and "
            f"{other} are not supported together"
        )
    if len(characters) > 1:
        raise Invalid(f"{characters[1].label}: at most one video character element with a video")
    _too_many(4, refers, multi, "multi-image", True)


def _check_o1(
    spec: StandardModel,
    contents: Contents,
    settings: Settings,
    characters: list[Part],
    video: Part | None,
) -> None:
    if characters:
        raise Invalid(
            f"{characters[0].label}: {spec.name} only supports multi-image elements, "
            "not video character elements"
        )
    if contents.has("first_frame") and contents.has("last_frame"):
        extra = contents.of("refer_image", "element")
        if extra:
            raise Invalid(f"{extra[0].label}: a first and a last frame take no {extra[0].type}")
    plain_first = contents.has("first_frame") and not contents.has("refer_image") and not video
    if plain_first and settings.duration not in FIVE_OR_TEN:
        raise Invalid(
            f"settings.duration must be 5 or 10 with a first frame and no refer_image or "
            f"reference video on {spec.name}; got {settings.duration}"
        )
