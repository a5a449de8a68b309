"""Serving result files: `GET`/`HEAD /_simulator/files/<task_id>/<name>`, no auth.

Face pictures of identify-face sessions are served at
`/_simulator/faces/<session_id>/<face_id>.png` (a small PNG per face), and the masks of
image recognition at `/_simulator/masks/<id>/<index>.png`.

Audio tracks are small, quiet files of the task's length: a WAV (`make_wav`) and an
MP3 of silent frames (`make_mp3`). Videos are streamed in chunks (padded MP4s can be
hundreds of megabytes), with an exact Content-Length, single `bytes=` ranges (206) and the
`download_break` fault, which stops halfway through and closes the connection. A video is
rendered in a worker thread on the first `GET` or `HEAD` of its file and kept for the next
ones (see `videos`). Unknown files answer 404, expired links 403.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from prefect_kling.audio import make_mp3, make_wav
from prefect_kling.simulator.assets import iter_video, make_png, video_size
from prefect_kling.simulator.connection import sever
from prefect_kling.simulator.faults import DOWNLOAD
from prefect_kling.simulator.omni_images import MASK_SIDE, mask_index
from prefect_kling.simulator.state import SimulatorState

FACE_SIDE = 128
_MEDIA_TYPES = {"image": "image/png", "mp3": "audio/mpeg", "wav": "audio/wav"}


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """`(start, end)` of a single `bytes=` range, `(0, size)` without one, `None` if bad.

    Examples:
        >>> parse_range("bytes=10-19", 100), parse_range("bytes=-5", 100)
        ((10, 20), (95, 100))
    """
    if not header:
        return 0, size
    unit, _, spec = header.partition("=")
    if unit.strip() != "bytes" or "," in spec:
        return None
    first, _, last = spec.strip().partition("-")
    try:
        if not first:
            start, end = max(0, size - int(last)), size
        else:
            start = int(first)
            end = min(size, int(last) + 1) if last else size
    except ValueError:
        return None
    return (start, end) if 0 <= start < end else None


def file_routes(state: SimulatorState) -> list[Route]:
    """The route serving the state's result files."""

    async def files(request: Request) -> Response:
        ref = state.file(request.path_params["task_id"], request.path_params["name"])
        if ref is None:
            return PlainTextResponse("Not Found", 404)
        if ref == "expired":
            return PlainTextResponse("Forbidden: the link has expired", 403)
        chunks: Callable[[int, int], Iterator[bytes]]
        if ref.kind == "video":
            video = await run_in_threadpool(state.videos.get, ref.video)
            media_type, size = "video/mp4", video_size(ref.video_bytes, len(video))

            def chunks(start: int, end: int) -> Iterator[bytes]:
                return iter_video(size, start, end, video)

        else:
            if ref.kind == "image":
                data = await run_in_threadpool(make_png, *ref.size, ref.index, ref.watermark)
            else:
                make = make_wav if ref.kind == "wav" else make_mp3
                data = make(ref.seconds, seed=ref.seed)
            media_type, size = _MEDIA_TYPES[ref.kind], len(data)

            def chunks(start: int, end: int) -> Iterator[bytes]:
                return iter([data[start:end]])

        span = parse_range(request.headers.get("range"), size)
        if span is None:
            headers = {"content-range": f"bytes */{size}"}
            return PlainTextResponse("Range Not Satisfiable", 416, headers=headers)
        start, end = span
        headers = {"content-length": str(end - start), "accept-ranges": "bytes"}
        status = 200
        if request.headers.get("range"):
            status, headers["content-range"] = 206, f"bytes {start}-{end - 1}/{size}"
        if request.method == "HEAD":
            return Response(b"", status, headers=headers, media_type=media_type)
        broken = state.draw_fault(DOWNLOAD, "download") is not None
        stop = start + (end - start) // 2 if broken else end
        state.count_download(started=True)

        async def body() -> AsyncIterator[bytes]:
            for chunk in chunks(start, stop):
                yield chunk
                state.count_download(sent=len(chunk))
            if broken:
                await sever(request.scope, graceful=True)

        return StreamingResponse(body(), status, headers=headers, media_type=media_type)

    async def faces(request: Request) -> Response:
        face_id = request.path_params["name"].removesuffix(".png")
        index = state.face_image(request.path_params["session_id"], face_id)
        if index is None:
            return PlainTextResponse("Not Found", 404)
        png = await run_in_threadpool(make_png, FACE_SIDE, FACE_SIDE, index)
        return Response(png, media_type="image/png")

    async def masks(request: Request) -> Response:
        index = mask_index(request.path_params["name"])
        if index is None:
            return PlainTextResponse("Not Found", 404)
        png = await run_in_threadpool(make_png, MASK_SIDE, MASK_SIDE, index)
        return Response(png, media_type="image/png")

    return [
        Route("/_simulator/files/{task_id}/{name}", files, methods=["GET", "HEAD"]),
        Route("/_simulator/faces/{session_id}/{name}", faces, methods=["GET"]),
        Route("/_simulator/masks/{recognition_id}/{name}", masks, methods=["GET"]),
    ]
