"""Multi-element editing: selection sessions and the edit's create body, as Kling's page says.

`init-selection` opens a session (valid 24 hours) on a video of the account or a video URL;
the video must last 2 to 5 or 7 to 10 seconds. `add-selection` marks points (x, y in [0, 1])
on one frame, at most 10 points a frame and 10 frames a session; `delete-selection` unmarks
points exactly as added; `clear-selection` forgets them all; `preview-selection` answers a
link. The create (`videos/multi-elements`) names a session that has marks, an `edit_mode`
with its images (addition 1-2, swap 1, removal none), a prompt, and a `duration` that fits
the video (5 for a 2-5 s video, 10 for 7-10 s). The calls are free and create no task.

Examples:
    >>> ctx = Context(provider="kling", prompt_max=2500, negative_max=2500)
    >>> body = {"session_id": "s", "edit_mode": "removal", "prompt": "Delete <<<video_1>>>"}
    >>> validate_multi_elements(body, ctx).session_id
    's'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from prefect_kling.simulator.fields import Fields
from prefect_kling.simulator.orders import MODES, Context, Invalid, Order, ParentVideo

SESSION_SECONDS = 24 * 3600
MAX_FRAMES = 10
MAX_POINTS = 10
FRAMES_PER_SECOND = 30
IMAGES_PER_MODE = {"addition": (1, 2), "swap": (1, 1), "removal": (0, 0)}
STEPS = ("init-selection", "add-selection", "delete-selection", "clear-selection")
PREVIEW = "preview-selection"


def fits(seconds: float) -> bool:
    """Whether a video's length suits multi-element editing (2-5 s or 7-10 s)."""
    return 2 <= seconds <= 5.1 or 7 <= seconds <= 10.1


@dataclass
class SelectionSession:
    """One selection session: its video and the points marked, by frame."""

    session_id: str
    video: ParentVideo
    expires_at: float
    marks: dict[int, list[tuple[float, float]]] = field(default_factory=dict)

    @property
    def total_frames(self) -> int:
        """Frames of the video at 30 fps."""
        return round(self.video.seconds * FRAMES_PER_SECOND)

    def view(self, **more: Any) -> dict[str, Any]:
        """The `data` of a session call's answer."""
        return {"status": 0, "session_id": self.session_id, "final_unit_deduction": "0", **more}


def validate_multi_elements(body: dict[str, Any], ctx: Context) -> Order:
    """Check a `videos/multi-elements` body (the session is checked by the state)."""
    fields = Fields(body)
    session_id = fields.identifier("session_id", required=True)
    mode_of_edit = fields.choice("edit_mode", tuple(IMAGES_PER_MODE), "", required=True)
    least, most = IMAGES_PER_MODE[mode_of_edit]
    if most:
        fields.image_list("image_list", "image", least, most)
    elif fields.get("image_list"):
        raise Invalid(f"image_list must be empty with edit_mode {mode_of_edit!r}")
    prompt = fields.text("prompt", max_len=ctx.prompt_max, required=True)
    negative = fields.text("negative_prompt", max_len=ctx.negative_max)
    mode = fields.choice("mode", MODES, "std")
    duration = fields.duration(allowed=("5", "10"))
    return fields.order(
        model_name="",
        prompt=prompt,
        negative_prompt=negative,
        mode=mode,
        duration=duration,
        session_id=session_id,
    )


def _points(fields: Fields) -> tuple[int, list[tuple[float, float]]]:
    """A frame and its points, checked."""
    frame = fields.integer("frame_index", 0, 100_000, 0, required=True)
    clicks = fields.objects("points", 1, MAX_POINTS)
    points = []
    for click in clicks:
        x = click.number("x", 0.0, 1.0)
        y = click.number("y", 0.0, 1.0)
        if x is None or y is None:
            raise Invalid(f"{fields.label('points')} items need both x and y")
        points.append((x, y))
    return frame, points


class SelectionSessions:
    """The account's selection sessions. Not thread-safe: the state holds its lock."""

    def __init__(self) -> None:
        self._sessions: dict[str, SelectionSession] = {}

    def open(self, session_id: str, video: ParentVideo, now: float) -> dict[str, Any]:
        """Open a session on a video.

        Raises:
            Invalid: The video's length does not suit the editing.
        """
        if not fits(video.seconds):
            raise Invalid(
                f"the video lasts {video.seconds:.3f} s; multi-element editing takes videos "
                "of 2 to 5 or 7 to 10 seconds"
            )
        session = SelectionSession(session_id, video, now + SESSION_SECONDS)
        self._sessions[session_id] = session
        return session.view(
            fps=float(FRAMES_PER_SECOND),
            original_duration=round(video.seconds * 1000),
            width=1280,
            height=720,
            total_frame=session.total_frames,
            normalized_video=video.url,
        )

    def answer(self, step: str, body: dict[str, Any], now: float, base_url: str) -> dict[str, Any]:
        """Answer one of the calls after init: add, delete, clear or preview.

        Raises:
            Invalid: The session or the points are not usable.
        """
        fields = Fields(body)
        session = self._session(fields.identifier("session_id", required=True) or "", now)
        if step == "clear-selection":
            session.marks.clear()
            return session.view()
        if step == PREVIEW:
            if not session.marks:
                raise Invalid(f"session_id {session.session_id!r} has no selection to preview")
            link = f"{base_url}/_simulator/selections/{session.session_id}.mp4"
            return session.view(res={"video": link, "video_cover": link, "tracking_output": link})
        frame, points = _points(fields)
        if frame >= session.total_frames:
            raise Invalid(f"frame_index {frame} is past the video's {session.total_frames} frames")
        marked = session.marks.setdefault(frame, [])
        if step == "add-selection":
            if len(session.marks) > MAX_FRAMES:
                del session.marks[frame]
                raise Invalid(f"at most {MAX_FRAMES} frames can be marked in a session")
            if len(marked) + len(points) > MAX_POINTS:
                raise Invalid(f"at most {MAX_POINTS} points can be marked on a frame")
            marked.extend(points)
        else:
            missing = [point for point in points if point not in marked]
            if missing:
                raise Invalid(f"points {missing} were not added on frame {frame}")
            marked[:] = [point for point in marked if point not in points]
        if not marked:
            del session.marks[frame]
        mask = {"object_id": 0, "rle_mask": {"size": [720, 1280], "counts": "0"}}
        return session.view(res={"frame_index": frame, "rle_mask_list": [mask]})

    def video_for(self, order: Order, now: float) -> ParentVideo:
        """The video an edit starts from, once its session and duration are checked.

        Raises:
            Invalid: The session is unknown, expired or has no marks, or the duration does
                not fit the video.
        """
        session = self._session(order.session_id or "", now)
        if not session.marks:
            raise Invalid(f"session_id {session.session_id!r} has no selection")
        short = session.video.seconds <= 5.1
        if (order.duration == 5) != short:
            raise Invalid(
                f"duration {order.duration} does not fit a {session.video.seconds:.3f} s video "
                "(5 for a 2-5 s video, 10 for a 7-10 s video)"
            )
        return session.video

    def _session(self, session_id: str, now: float) -> SelectionSession:
        session = self._sessions.get(session_id)
        if session is None:
            raise Invalid(f"session_id {session_id!r} does not exist")
        if now >= session.expires_at:
            raise Invalid(f"session_id {session_id!r} has expired (sessions last 24 hours)")
        return session
