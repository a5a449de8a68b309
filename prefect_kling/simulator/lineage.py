"""The account's videos and face sessions: what extend, lip-sync and identify-face start from.

A video exists once its task has succeeded, and can be used for 30 days after that
(simulator clock), as Kling deletes its files then. Video extend takes only the videos of
`extendable` rows (text2video, image2video, video-extend), and an extended video is its
source plus about 4.5 s, so a chain stays within 3 minutes. Lip-sync and identify-face take
any video of the account, or a video URL (taken to be `URL_VIDEO_SECONDS` long, with no id).
identify-face opens a session, valid 24 hours, in which it finds two faces: `"0"` through
the whole video and `"1"` in its second half.

Every refusal is `Invalid` (400/1201) naming the field: an unknown, unfinished, failed or
too old video id, a video that cannot be extended, a chain that would pass 3 minutes, an
unknown or expired session, a face not in the session.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from prefect_kling.simulator.orders import Invalid, Order, ParentVideo
from prefect_kling.simulator.routes import EXTENDABLE, EXTENSION_SECONDS, Endpoint
from prefect_kling.simulator.selections import SelectionSessions
from prefect_kling.simulator.timeline import SUCCEED, Task

DAY_SECONDS = 24 * 3600
VIDEO_LIFETIME_SECONDS = 30 * DAY_SECONDS
SESSION_SECONDS = DAY_SECONDS
MAX_CHAIN_SECONDS = 180.0
URL_VIDEO_SECONDS = 5.0


@dataclass(frozen=True)
class Face:
    """A face found in a video.

    Attributes:
        face_id: Its id within the session.
        start_ms: When it first appears.
        end_ms: When it last appears.
    """

    face_id: str
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class FaceSession:
    """An identify-face session.

    Attributes:
        session_id: Its id.
        video: The video the faces were found in.
        faces: The faces found.
        expires_at: When it stops being valid, on the simulator's monotonic clock.
    """

    session_id: str
    video: ParentVideo
    faces: tuple[Face, ...]
    expires_at: float

    def view(self, base_url: str) -> dict[str, Any]:
        """The `data` of the identify-face answer."""
        faces = f"{base_url}/_simulator/faces/{self.session_id}"
        return {
            "session_id": self.session_id,
            "final_unit_deduction": "0",
            "face_data": [
                {
                    "face_id": face.face_id,
                    "face_image": f"{faces}/{face.face_id}.png",
                    "start_time": face.start_ms,
                    "end_time": face.end_ms,
                }
                for face in self.faces
            ],
        }


def find_faces(seconds: float) -> tuple[Face, ...]:
    """The faces the simulator finds in a video of that length."""
    end = round(seconds * 1000)
    return Face("0", 0, end), Face("1", end // 2, end)


class Library:
    """The videos made by the account's tasks, and its identify-face sessions.

    Not thread-safe: the simulator state calls it with its lock held.
    """

    def __init__(self) -> None:
        self._videos: dict[str, tuple[Task, int]] = {}
        self._sessions: dict[str, FaceSession] = {}
        self.selections = SelectionSessions()
        """Multi-element editing's selection sessions."""

    def add(self, task: Task) -> None:
        """Remember the videos a new task will make (an audio track's id names no video)."""
        videos = {"video": task.output_ids, "dubbed": task.output_ids[:1]}
        for index, video_id in enumerate(videos.get(task.endpoint.result, [])):
            self._videos[video_id] = (task, index)

    def video(
        self, video_id: str, now: float, base_url: str, *, extend: bool = False
    ) -> tuple[Task, ParentVideo]:
        """The task that made a usable video, and the video.

        Raises:
            Invalid: The video does not exist (yet), is too old, or cannot be extended.
        """
        task, index = self._videos.get(video_id, (None, 0))
        if task is None or task.outcome != SUCCEED:
            raise Invalid(f"video_id {video_id!r} does not exist")
        if task.status != SUCCEED:
            raise Invalid(f"video_id {video_id!r} is not ready yet (its task is {task.status})")
        if now - task.ends_at > VIDEO_LIFETIME_SECONDS:
            raise Invalid(f"video_id {video_id!r} is older than 30 days and was deleted")
        if extend and not task.endpoint.extendable:
            raise Invalid(
                f"video_id {video_id!r} was made by {task.endpoint.name}; only videos made by "
                f"{', '.join(EXTENDABLE)} can be extended"
            )
        parent = ParentVideo(video_id, task.video_url(base_url, index), task.video_seconds)
        if extend and parent.seconds + EXTENSION_SECONDS > MAX_CHAIN_SECONDS:
            raise Invalid(
                f"video_id {video_id!r} is {parent.seconds:.3f} s long: extending it would "
                f"pass the {MAX_CHAIN_SECONDS:g} s (3 minutes) limit of an extended video"
            )
        return task, parent

    def source(self, order: Order, now: float, base_url: str) -> ParentVideo:
        """The video a lip-sync or identify-face names, by id or by URL."""
        if order.video_id is not None:
            return self.video(order.video_id, now, base_url)[1]
        return ParentVideo("", order.video_url or "", URL_VIDEO_SECONDS)

    def resolve(self, endpoint: Endpoint, order: Order, now: float, base_url: str) -> Order:
        """The order with its source video filled in, as the endpoint's `source` says.

        Raises:
            Invalid: The source is not usable.
        """
        if endpoint.source == "extend":
            task, parent = self.video(order.video_id or "", now, base_url, extend=True)
            # The extension runs with the source's model and mode (and is priced so).
            return dataclasses.replace(
                order, parent=parent, model_name=task.order.model_name, mode=task.order.mode
            )
        if endpoint.source == "video":
            return dataclasses.replace(order, parent=self.source(order, now, base_url))
        if endpoint.source == "session":
            return dataclasses.replace(order, parent=self._chosen(order, now))
        if endpoint.source == "selection":
            return dataclasses.replace(order, parent=self.selections.video_for(order, now))
        return order

    def open_session(self, session_id: str, video: ParentVideo, now: float) -> FaceSession:
        """Open an identify-face session on a video."""
        session = FaceSession(session_id, video, find_faces(video.seconds), now + SESSION_SECONDS)
        self._sessions[session_id] = session
        return session

    def face_index(self, session_id: str, face_id: str) -> int | None:
        """The position of a face in its session, or `None` when there is no such face."""
        session = self._sessions.get(session_id)
        ids = [face.face_id for face in session.faces] if session else []
        return ids.index(face_id) if face_id in ids else None

    def _chosen(self, order: Order, now: float) -> ParentVideo:
        """The session's video, once the session and the chosen faces are checked."""
        session_id = order.session_id or ""
        session = self._sessions.get(session_id)
        if session is None:
            raise Invalid(f"session_id {session_id!r} does not exist")
        if now >= session.expires_at:
            raise Invalid(f"session_id {session_id!r} has expired (sessions last 24 hours)")
        known = [face.face_id for face in session.faces]
        video_ms = round(session.video.seconds * 1000)
        for face in order.faces:
            where = f"face_choose[{face.position}]"
            if face.face_id not in known:
                raise Invalid(
                    f"{where}.face_id {face.face_id!r} is not a face of session {session_id!r} "
                    f"(its faces: {', '.join(known)})"
                )
            if face.insert_ms >= video_ms:
                raise Invalid(
                    f"{where}.sound_insert_time {face.insert_ms} is past the end of the video "
                    f"({video_ms} ms)"
                )
        return session.video
