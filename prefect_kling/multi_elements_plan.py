"""A multi-element edit that names its video: checked first, then its session, then the create.

Multi-element editing is a selection session (init on a video, add and delete the points
that mark the element, preview) followed by the paid create on that session. A caller may
give the video and the selections instead of a session: `MultiElementsPlan.check`
validates everything before anything is sent, `run` opens and fills the session, logging
each step, and returns the create request. The external task id comes from the video,
the selections and the edit, never from the session (each run opens a new one), so the
same request is the same task: a rerun finds it instead of paying again.

Examples:
    >>> plan = MultiElementsPlan.check(
    ...     {
    ...         "video_id": "8594",
    ...         "selections": [{"frame_index": 0, "points": [{"x": 0.5, "y": 0.4}]}],
    ...         "edit_mode": "removal",
    ...         "prompt": "Delete the chick from <<<video_1>>>",
    ...     },
    ...     Provider.KLING,
    ... )
    >>> plan.source, len(plan.selections), plan.external_task_id.startswith("pk-")
    ({'video_id': '8594'}, 1, True)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Self

from pydantic import BaseModel, ValidationError

from prefect_kling._checks import problems_from_pydantic
from prefect_kling._logging import RunAwareLogger
from prefect_kling._video_source import VIDEO_SOURCE, names_its_video, video_source
from prefect_kling.client import derive_external_task_id, prepare_create
from prefect_kling.endpoints import get_endpoint
from prefect_kling.endpoints.routes import (
    SELECTION_ADD,
    SELECTION_DELETE,
    SELECTION_INIT,
    SELECTION_PREVIEW,
)
from prefect_kling.exceptions import FieldProblem, KlingError, KlingValidationError
from prefect_kling.models.common import explain_errors
from prefect_kling.models.multi_elements import (
    MAX_FRAMES,
    MultiElementsVideo,
    Selection,
    SelectionRequest,
    SelectionSession,
    SessionRequest,
)
from prefect_kling.providers import Provider

logger = RunAwareLogger(__name__)

ENDPOINT = "multi-elements"
_SESSION_FIELDS = (*VIDEO_SOURCE, "selections", "deletions")
_SESSION_PENDING = "(init-selection)"
"""Stands in for the session while a request is checked beforehand."""


class SessionClient:
    """What a plan needs of a client: `call` (a `KlingClient`'s)."""

    def call(self, route: Any, request: BaseModel) -> Any:  # pragma: no cover - protocol
        """Send one call that creates no task."""
        raise NotImplementedError


def _checked(model: type[BaseModel], value: Any, field: str) -> BaseModel:
    """Validate one part, its problems named from `field` down."""
    try:
        return model.model_validate(value)
    except ValidationError as error:
        problems = problems_from_pydantic(explain_errors(model, error.errors()))
        named = [
            FieldProblem(".".join(part for part in (field, problem.field) if part), problem.message)
            for problem in problems
        ]
        raise KlingValidationError(named, endpoint=ENDPOINT) from None


def _selections(field: str, given: Any, *, required: bool) -> list[dict[str, Any]]:
    """The selections as checked plain data: a list of `Selection` fields."""
    if given is None and not required:
        return []
    if not isinstance(given, Sequence) or isinstance(given, str) or (required and not given):
        raise KlingValidationError.single(
            field,
            f"{str(given)[:80]!r}; allowed: a list of frames, each "
            '{"frame_index": 0, "points": [{"x": 0.5, "y": 0.5}]}',
            endpoint=ENDPOINT,
        )
    checked = [
        _checked(Selection, item, f"{field}.{position}").model_dump()
        for position, item in enumerate(given)
    ]
    frames = sorted({item["frame_index"] for item in checked})
    if len(frames) > MAX_FRAMES:
        raise KlingValidationError.single(
            field,
            f"{len(frames)} frames marked; allowed: at most {MAX_FRAMES} frames",
            endpoint=ENDPOINT,
        )
    return checked


@dataclass(frozen=True)
class MultiElementsPlan:
    """A multi-element edit given by its video and selections, checked.

    Attributes:
        source: The video the session opens on: `video_id` or `video_url`.
        selections: The frames and points to mark (`add-selection`, in order).
        deletions: The frames and points to unmark afterwards (`delete-selection`).
        rest: The create's other fields (`edit_mode`, `prompt`, `image_list`, ...).
        external_task_id: The create's external id.
    """

    source: dict[str, Any]
    selections: list[dict[str, Any]]
    deletions: list[dict[str, Any]]
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
        """Validate a multi-element edit given by its video, sending nothing.

        Raises:
            KlingValidationError: A field breaks a rule, or the provider has no route;
                the message names the field (or the provider).
        """
        get_endpoint(ENDPOINT).create_path(provider)
        source = video_source(request)
        _checked(MultiElementsVideo, source, "").model_dump(exclude_none=True)
        selections = _selections("selections", request.get("selections"), required=True)
        deletions = _selections("deletions", request.get("deletions"), required=False)
        rest = {key: value for key, value in request.items() if key not in _SESSION_FIELDS}
        checked = prepare_create(
            ENDPOINT, {**rest, "session_id": _SESSION_PENDING}, provider, strict=strict
        )
        edit = {
            key: value
            for key, value in checked.payload.items()
            if key not in ("session_id", "external_task_id", "callback_url")
        }
        content = {**source, "selections": selections, "deletions": deletions, **edit}
        external_task_id = rest.get("external_task_id") or derive_external_task_id(
            ENDPOINT, content, idempotency_key
        )
        return cls(source, selections, deletions, rest, external_task_id)

    def run(self, client: SessionClient) -> dict[str, Any]:
        """Open the session, mark and unmark, preview; the create request for the session.

        Each step is logged (to the run's log inside Prefect).

        Raises:
            KlingError: Kling refused the video or a selection (a non-zero `status`).
        """
        opened = _step(client, SELECTION_INIT, MultiElementsVideo(**self.source))
        session_id = opened.session_id
        if not session_id:
            raise KlingError("init-selection answered without a session id")
        logger.info(
            "multi-elements: session %s opened on %s (%s frames at %s fps)",
            session_id,
            next(iter(self.source.values())),
            opened.total_frame,
            opened.fps,
        )
        for route, marks, verb in (
            (SELECTION_ADD, self.selections, "marked"),
            (SELECTION_DELETE, self.deletions, "unmarked"),
        ):
            for mark in marks:
                _step(client, route, SelectionRequest(session_id=session_id, **mark))
                logger.info(
                    "multi-elements: %s %d point(s) on frame %d",
                    verb,
                    len(mark["points"]),
                    mark["frame_index"],
                )
        preview = _step(client, SELECTION_PREVIEW, SessionRequest(session_id=session_id))
        logger.info("multi-elements: selection preview %s", preview.preview_url or "(no link)")
        return {**self.rest, "session_id": session_id, "external_task_id": self.external_task_id}


def _step(client: SessionClient, route: Any, request: BaseModel) -> SelectionSession:
    """One session call; a non-zero `status` is Kling refusing it."""
    answer: SelectionSession = client.call(route, request)
    if answer.status:
        raise KlingError(f"{route.name} was refused by Kling (status {answer.status})")
    return answer
