"""Building newer-standard requests and reading their answers, for the simulator's tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from prefect_kling.simulator import KlingSimulator
from prefect_kling.simulator.standard_inputs import MULTI_IMAGE, VIDEO_CHARACTER, StaticCatalog

from .conftest import _SSL

IMAGE_URL = "https://example.com/frame.png"


def api_client(sim: KlingSimulator, key: str | None = None) -> httpx.Client:
    """A client on the simulator's root with the API key (or `key`) as a bearer key."""
    return httpx.Client(
        base_url=sim.base_url,
        headers={"Authorization": f"Bearer {key or sim.config.api_key}"},
        timeout=10,
        verify=_SSL,
    )


def prompt(text: str = "a fox in the snow") -> dict[str, str]:
    return {"type": "prompt", "text": text}


def frame(kind: str = "first_frame", url: str = IMAGE_URL, **extra: str) -> dict[str, str]:
    return {"type": kind, "url": url, **extra}


def refer(index: int) -> dict[str, str]:
    return {"type": "refer_image", "url": IMAGE_URL, "id": f"image_{index}"}


def element(element_id: str, ident: str | None = None) -> dict[str, str]:
    return {"type": "element", "element_id": element_id, "id": ident or f"el_{element_id}"}


def voice(voice_id: str) -> dict[str, str]:
    return {"type": "voice", "voice_id": voice_id, "id": f"vo_{voice_id}"}


def video(kind: str, seconds: float) -> dict[str, str]:
    """A video part whose URL names its length (`clip_12s.mp4`), as the simulator reads it."""
    return {"type": kind, "url": f"https://example.com/clip_{seconds:g}s.mp4"}


def body(*contents: dict[str, str], text: str | None = None, **settings: Any) -> dict[str, Any]:
    """A create body: `contents` (or a top-level prompt `text`) and `settings`."""
    made: dict[str, Any] = {"prompt": text} if text is not None else {"contents": list(contents)}
    if settings:
        made["settings"] = settings
    return made


def data_of(response: httpx.Response) -> Any:
    """The `data` of a successful answer."""
    answer = response.json()
    assert response.status_code == 200 and answer["code"] == 0, answer
    return answer["data"]


def refusal(response: httpx.Response, status: int = 400, code: int = 1201) -> str:
    """The message of a refusal with that status and code (no `data`)."""
    answer = response.json()
    assert (response.status_code, answer["code"]) == (status, code), answer
    assert "data" not in answer
    return answer["message"]


def create(client: httpx.Client, path: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Create a task; the `data` of the answer."""
    return data_of(client.post(path, json=payload))


def tasks(client: httpx.Client, *ids: str, external: bool = False) -> list[dict[str, Any]]:
    """`GET /tasks` for some ids."""
    name = "external_task_ids" if external else "task_ids"
    return data_of(client.get("/tasks", params={name: ",".join(ids)}))


def one(client: httpx.Client, task_id: str) -> dict[str, Any]:
    """The task object of one task."""
    (task,) = tasks(client, task_id)
    return task


# -- the rule tables: paths, a catalog with both kinds of element, and part makers ----

T2V3, T2VT = "/text-to-video/kling-3.0", "/text-to-video/kling-3.0-turbo"
T2V26, T2V25 = "/text-to-video/kling-2.6", "/text-to-video/kling-2.5-turbo"
I2V3, I2VT = "/image-to-video/kling-3.0", "/image-to-video/kling-3.0-turbo"
I2V26, I2V25 = "/image-to-video/kling-2.6", "/image-to-video/kling-2.5-turbo"
OMNI, O1 = "/omni-video/kling-3.0-omni", "/omni-video/kling-o1"
MC3, MC26 = "/motion-control/kling-3.0", "/motion-control/kling-2.6"

CATALOG = StaticCatalog(
    {
        **{f"m{n}": MULTI_IMAGE for n in range(1, 9)},
        **{f"c{n}": VIDEO_CHARACTER for n in range(1, 5)},
    },
    voices=["v1", "v2", "v3"],
)
A = {"prompt": "a fox"}
MOTION_VIDEO = video("video", 5)


def refers(count: int) -> list[dict[str, str]]:
    return [refer(index) for index in range(count)]


def multi(count: int) -> list[dict[str, str]]:
    return [element(f"m{n}") for n in range(1, count + 1)]


def chars(count: int) -> list[dict[str, str]]:
    return [element(f"c{n}") for n in range(1, count + 1)]


def motion(*parts: dict[str, str], **settings: Any) -> dict[str, Any]:
    return body(*parts, **{"character_orientation": "video", **settings})


def with_options(**options: Any) -> dict[str, Any]:
    return {**A, "options": options}


@dataclass(frozen=True)
class Case:
    """A rule: a body it accepts, a body it refuses, and words of the refusal."""

    name: str
    path: str
    good: dict[str, Any]
    bad: dict[str, Any]
    words: str
    bad_path: str | None = None


FEATURE, BASE = video("feature_video", 5), video("base_video", 5)
VOICED = {"audio": "native", "resolution": "1080p"}


def check_case(sim: KlingSimulator, client: httpx.Client, case: Case) -> None:
    """The case's good body is taken, its bad one refused with its words, nothing made."""
    data_of(client.post(case.path, json=case.good))
    message = refusal(client.post(case.bad_path or case.path, json=case.bad))
    assert case.words in message, message
    assert sim.stats().tasks_created == 1
