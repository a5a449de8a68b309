"""Ready-made flows: generate, resume and batch, without ever paying twice.

- `generate_video` / `generate_image`: one request -> create -> wait -> save the files, on
  any endpoint that makes videos (text2video, image2video, multi-image2video, video-extend,
  lip-sync, advanced-lip-sync, effects) or images (multi-image2image, image-generation,
  image-expand, omni-image, multi-shot, virtual-try-on). An advanced lip-sync may name its
  video instead of a session: the flow then identifies the faces first (0.05 units, no
  task).
- `recognize_image`: the subject, head, face and clothing masks of an image (answered at
  once, no task), saved like the generations' files.
- `generate_audio`: text to audio or video to audio (each track saved as MP3 and WAV), or
  text to speech (answered at once, its MP3 saved; cached, so paid for once).
- `extend_video`: extend a video N times in a chain, each step extending the last result.
- `resume_task`: wait for and save a task created earlier, without creating anything.
- `batch_generate`: many requests (a list, a CSV or a JSON-lines file) under a concurrency
  limit; every item ends with an outcome, and one failure does not stop the others.

Every one of them, and every batch item, runs the same pipeline
(`prefect_kling.flows.pipeline`): validate, create through the cached create step
(`prefect_kling.flows.create_step`), wait, save.

What keeps them safe and visible:

- **Caching.** The create step is cached on the request's external task id, derived from its
  *content* (images included) and an optional idempotency key: rerunning a flow with the
  same inputs makes no new create. The record is persisted in the flow's result storage (set
  `result_storage` to a shared block so every worker sees it) and expires before Kling
  deletes the files. A new `idempotency_key` asks for a take of its own; `refresh=True` makes
  a fresh take that replaces the cached one.
- **Crash safety.** The create step marks each create in the result storage before sending it
  (in a batch, before the item waits for its place); an attempt that finds the mark but no
  cached record looks the external id up first, so a run killed between create and record
  finds its task again on the rerun. A first attempt sends no lookup.
- **Retries.** Prefect retries steps only on transient Kling errors (1302, 1303, 5000-5002,
  network); refusals and bad parameters fail at once with Kling's message.
- **Concurrency.** Creates hold slots of the Prefect global concurrency limit `kling-<family>`
  until their task ends, so the account's limit turns into queueing instead of 1303s. A
  batch hands its slots from item to item (`SlotPool`) and creates the next item as soon
  as an earlier one's task has ended; one watcher follows all its tasks with list queries.
- **Callbacks.** With a `callback_url` on the credentials (or `KLING_CALLBACK_URL`), Kling
  reports to your receiver (`prefect_kling.callbacks`) and the flows wait for its events:
  one confirming query per task instead of polling, and a slow safety poll.
- **Budget.** `max_units` stops sending creates once units charged plus in flight reach it.
- **Visibility.** Events on every transition, a progress artifact while waiting, a summary
  artifact per task, image artifacts, and a table per batch.
- **Time.** Every flow takes an `on_status` callback and a `runtime` (clocks, sleep and
  client factory): `KlingSimulator.runtime()` runs the waits on the simulator's clock.

Examples:
    ```python
    from prefect_kling.flows import generate_video

    result = generate_video({"prompt": "A red fox running through snow", "duration": "5"})
    print(result.files[0].path)
    ```
"""

from prefect_kling.flows.account_report import account_report
from prefect_kling.flows.arguments import DEFAULT_OUTPUT
from prefect_kling.flows.audio import generate_audio
from prefect_kling.flows.batch import batch_generate
from prefect_kling.flows.batch_items import BatchItem, BatchOutcome, BatchReport, load_batch
from prefect_kling.flows.extend import extend_video
from prefect_kling.flows.generate import generate_image, generate_video
from prefect_kling.flows.pipeline import check_request
from prefect_kling.flows.recognition import RecognitionResult, recognize_image
from prefect_kling.flows.result import GenerationResult
from prefect_kling.flows.resume import resume_task

__all__ = [
    "DEFAULT_OUTPUT",
    "BatchItem",
    "BatchOutcome",
    "BatchReport",
    "GenerationResult",
    "RecognitionResult",
    "account_report",
    "batch_generate",
    "check_request",
    "extend_video",
    "generate_audio",
    "generate_image",
    "generate_video",
    "load_batch",
    "recognize_image",
    "resume_task",
]
