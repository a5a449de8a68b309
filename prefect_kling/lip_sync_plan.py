"""An advanced lip-sync that names its video: checked first, completed from identify-face.

Kling's current lip-sync is two calls: identify-face (free, answered at once: a session and
the faces in the video) and advanced-lip-sync (the paid task, naming the session and a
choice of faces). `LipSyncPlan` lets a caller give the video instead of a session: `check`
validates everything before anything is sent, and `request` completes the create from
identify-face's answer. The lip-sync task and the flows both use it.

Examples:
    >>> from prefect_kling.models import IdentifyFaceResult
    >>> plan = LipSyncPlan.check(
    ...     {"video_id": "8594", "face_choose": [{"sound_file": "https://a.test/line.mp3"}]},
    ...     Provider.KLING,
    ... )
    >>> face = {"face_id": "0", "start_time": 0, "end_time": 4200}
    >>> faces = IdentifyFaceResult(session_id="s1", face_data=[face])
    >>> [choice] = plan.request(faces)["face_choose"]
    >>> choice["face_id"], choice["sound_insert_time"], choice["sound_end_time"]
    ('0', 0, 4200)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self

from pydantic import BaseModel, ValidationError

from prefect_kling._checks import problems_from_pydantic
from prefect_kling._video_source import VIDEO_SOURCE, names_its_video, video_source
from prefect_kling.client import derive_external_task_id, prepare_create
from prefect_kling.endpoints import get_endpoint
from prefect_kling.exceptions import KlingError, KlingValidationError
from prefect_kling.models.common import explain_errors
from prefect_kling.models.lipsync import IdentifyFaceRequest, IdentifyFaceResult
from prefect_kling.providers import Provider

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

    names_its_video = staticmethod(names_its_video)

    @classmethod
    def check(
        cls,
        request: Mapping[str, Any],
        provider: Provider,
        *,
        idempotency_key: str | None = None,
        strict: bool = True,
    ) -> Self:
        """Validate an advanced lip-sync given by its video, sending nothing.

        Raises:
            KlingValidationError: A field breaks a rule, or the provider has no route;
                the message names the field (or the provider).
        """
        endpoint = "advanced-lip-sync"
        source = video_source(request)
        rest = {key: value for key, value in request.items() if key not in VIDEO_SOURCE}
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
