"""Durable downloads of a finished task's files: streamed, atomic, checksummed, rerun for free.

Kling deletes generated files after 30 days (some gateways after 24 hours), so results are
saved as soon as a task succeeds, and a broken transfer never leaves a half file that looks
complete:

- each file is streamed in chunks into a pending file of its destination, checked against
  the `Content-Length` the server announced, hashed with SHA-256 on the way, and only then
  committed under its final name (`fetch`); in a local folder that is a temporary
  `.<name>.<random>.part` file, fsync'd and renamed onto its name (`os.replace`, atomic);
- a broken transfer (dropped connection, timeout, short body, 5xx) is retried from scratch
  with backoff; a 403, 404 or 410 is final: the link has most likely expired;
- file names come from the endpoint, the task id and the index, never from the link, e.g.
  `text2video-867283741759111202-0.mp4` or `text2video-867283741759111202-0-watermark.mp4`
  (`naming`);
- a manifest `<endpoint>-<task_id>.json` written (atomically) next to the files records
  what was saved, so a rerun that finds a file with its recorded size and checksum does not
  download it again (`manifest`);
- where the files go is a `Destination`: a local folder, a Prefect filesystem block, or one
  of your own (`destinations`).

The modules, one job each: `naming`, `fetch`, `destinations`, `manifest`, `saving`
(`save_task_results`). Everything public is importable from `prefect_kling.downloads`.

Examples:
    >>> import tempfile
    >>> from pathlib import Path
    >>> import httpx
    >>> from prefect_kling import KlingTask, TaskReference
    >>> task = KlingTask.model_validate({"task_id": "8672", "task_status": "succeed",
    ...     "task_result": {"images": [{"index": 0, "url": "https://cdn.example/a.png"}]}})
    >>> ref = TaskReference(task_id="8672", endpoint="image-generation", provider="kling")
    >>> cdn = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(
    ...     200, content=b"image", headers={"Content-Type": "image/png"})))
    >>> folder = tempfile.mkdtemp()
    >>> [saved] = save_task_results(task, ref, folder, http=cdn)
    >>> sorted(path.name for path in Path(folder).iterdir())
    ['image-generation-8672-0.png', 'image-generation-8672.json']
"""

from __future__ import annotations

from prefect_kling.downloads.destinations import (
    BlockDestination,
    Destination,
    DestinationLike,
    FolderDestination,
    PendingFile,
    StagedFile,
    open_destination,
)
from prefect_kling.downloads.fetch import DEFAULT_TIMEOUT, download_file
from prefect_kling.downloads.manifest import MANIFEST_VERSION, Manifest, ManifestEntry
from prefect_kling.downloads.naming import Kind, result_file_name
from prefect_kling.downloads.saving import (
    EarlierSave,
    SavedFile,
    find_earlier_save,
    save_task_results,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "MANIFEST_VERSION",
    "BlockDestination",
    "Destination",
    "DestinationLike",
    "EarlierSave",
    "FolderDestination",
    "Kind",
    "Manifest",
    "ManifestEntry",
    "PendingFile",
    "SavedFile",
    "StagedFile",
    "download_file",
    "find_earlier_save",
    "open_destination",
    "result_file_name",
    "save_task_results",
]
