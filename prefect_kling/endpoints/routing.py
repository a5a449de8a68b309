"""Which row serves a request: the model name decides the API standard.

`text2video` and `image2video` name their newer-standard twins (`Endpoint.newer`). A
request for a model of the newer standard (`kling-3.0-turbo`, `kling-2.6`, ...) goes to
the twin, with the fields it shares spelled the newer way (`image` is the `first_frame`,
`image_tail` the `last_frame`, `sound` becomes `audio`); a legacy model (`kling-v3`,
`kling-v2-6`, ...) stays on its `/v1` row, with the newer spellings the command line
offers turned into the legacy ones (`resolution` 720p/1080p is `mode` std/pro, `audio`
is `sound`). Nothing else changes a request.

Examples:
    >>> from prefect_kling.endpoints import get_endpoint
    >>> row, fields = route(get_endpoint("image2video"), {
    ...     "model_name": "kling-3.0", "image": "a.png", "image_tail": "b.png", "sound": "on"})
    >>> row.name, sorted(fields.items())  # doctest: +NORMALIZE_WHITESPACE
    ('image-to-video', [('audio', 'native'), ('first_frame', 'a.png'), ('last_frame', 'b.png'),
     ('model_name', 'kling-3.0')])
    >>> row, fields = route(get_endpoint("text2video"), {
    ...     "model_name": "kling-v3", "prompt": "a fox", "resolution": "1080p", "audio": "native"})
    >>> row.name, fields
    ('text2video', {'model_name': 'kling-v3', 'prompt': 'a fox', 'mode': 'pro', 'sound': 'on'})
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

from prefect_kling.endpoints.row import Endpoint
from prefect_kling.exceptions import KlingValidationError
from prefect_kling.providers import Provider

NEWER_NAMES = {"image": "first_frame", "image_tail": "last_frame"}
"""Legacy field names and what the newer standard calls the same thing."""
MODE_OF_RESOLUTION = {"720p": "std", "1080p": "pro", "4k": "4k"}
"""The legacy `mode` that makes a resolution."""
SOUND_OF_AUDIO = {"native": "on", "off": "off"}
LEGACY_LISTS = {"elements": ("element_list", "element_id"), "voices": ("voice_list", "voice_id")}
"""The newer standard's element and voice references, and the /v1 lists they become."""
AUDIO_OF_SOUND = {"on": "native", "off": "off"}


def route(
    row: Endpoint, request: Mapping[str, Any] | BaseModel
) -> tuple[Endpoint, Mapping[str, Any] | BaseModel]:
    """The row that serves the request's model, and the request in that row's terms.

    Args:
        row: The row asked for, e.g. `text2video`.
        request: The request fields, or a request model.

    Raises:
        KlingValidationError: A setting of the other standard has no legacy equivalent.
    """
    if row.newer is None:
        return row, request
    from prefect_kling.endpoints import get_endpoint

    newer = get_endpoint(row.newer)
    fields = (
        request.model_dump(exclude_none=True) if isinstance(request, BaseModel) else dict(request)
    )
    if fields.get("model_name") in newer.limits[Provider.KLING].models:
        return newer, _newer_spelling(fields)
    if isinstance(request, BaseModel):
        return row, request
    return row, _legacy_spelling(row, fields)


def _newer_spelling(fields: dict[str, Any]) -> dict[str, Any]:
    spelled = {NEWER_NAMES.get(name, name): value for name, value in fields.items()}
    sound = spelled.pop("sound", None)
    if sound is not None:
        spelled.setdefault("audio", AUDIO_OF_SOUND.get(sound, sound))
    return spelled


def _legacy_spelling(row: Endpoint, fields: dict[str, Any]) -> dict[str, Any]:
    spelled = dict(fields)
    for newer_name, legacy_name in NEWER_NAMES.items():
        if legacy_name in spelled:
            spelled.setdefault(newer_name, spelled.pop(legacy_name))
    resolution = spelled.pop("resolution", None)
    if resolution is not None:
        _refuse_both(row, spelled, "resolution", "mode")
        spelled["mode"] = _equivalent(row, "resolution", resolution, MODE_OF_RESOLUTION)
    audio = spelled.pop("audio", None)
    if audio is not None:
        _refuse_both(row, spelled, "audio", "sound")
        spelled["sound"] = _equivalent(row, "audio", audio, SOUND_OF_AUDIO)
    for newer_name, (legacy_name, key) in LEGACY_LISTS.items():
        if newer_name in spelled:
            _refuse_both(row, spelled, newer_name, legacy_name)
            spelled[legacy_name] = [_item(value, key) for value in spelled.pop(newer_name)]
    return spelled


def _item(value: Any, key: str) -> Any:
    """An element or voice as a /v1 list item: `{"element_id": "8123"}`."""
    if isinstance(value, Mapping):
        return {key: value.get(key)}
    return {key: str(value).rpartition("=")[2].strip()}


def _equivalent(row: Endpoint, name: str, value: Any, table: Mapping[str, str]) -> str:
    if value not in table:
        allowed = ", ".join(map(repr, table))
        raise KlingValidationError.single(
            name, f"{value!r} is not allowed on a /v1 model; allowed: {allowed}", endpoint=row.name
        )
    return table[value]


def _refuse_both(row: Endpoint, fields: Mapping[str, Any], newer: str, legacy: str) -> None:
    if legacy in fields:
        raise KlingValidationError.single(
            newer, f"given with {legacy}; allowed: one of {newer}, {legacy}", endpoint=row.name
        )
