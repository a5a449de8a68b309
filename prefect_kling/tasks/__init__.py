"""Prefect tasks: one per Kling endpoint row, plus queries of tasks and of the account.

The tasks live by family (`videos`, `images`, `omni_images`, `edits`, `audio`, `library`,
`queries`); each module lists its tasks in `__all__`, and this package exports all of them
(as does `prefect_kling`), so a new task is one function in its family's module.

Each create task validates its input before anything is sent, creates the task (or finds the
one the same request made before) and returns a `TaskReference`; `wait_for_task` in
`prefect_kling.sensors` waits for it. A create task takes the request as its own arguments
(the main ones by position, any other field of the request model by name) or all at once
as `request=` (a mapping or the request model), and `idempotency_key=` to ask for a fresh
take of a request made before. The tasks are synchronous, so they run when called directly
from sync and async flows alike. Every task here is exported by `prefect_kling` too
(`__all__`). Their clients come from the current `Runtime` (`prefect_kling.runtime`), so
a test can give them another client factory, clock and sleep with `use_runtime`.

Examples:
    ```python
    from prefect import flow
    from prefect_kling import KlingCredentials
    from prefect_kling.tasks import text_to_video
    from prefect_kling.sensors import wait_for_task

    @flow
    def fox_video():
        credentials = KlingCredentials.load("kling")
        reference = text_to_video(credentials, prompt="A red fox running through snow")
        return wait_for_task(reference, credentials).videos[0].url
    ```
"""

from prefect_kling.tasks import audio, edits, images, library, omni_images, queries, videos
from prefect_kling.tasks.audio import *  # noqa: F403
from prefect_kling.tasks.edits import *  # noqa: F403 - the tasks listed in edits.__all__
from prefect_kling.tasks.images import *  # noqa: F403
from prefect_kling.tasks.library import *  # noqa: F403
from prefect_kling.tasks.omni_images import *  # noqa: F403
from prefect_kling.tasks.queries import *  # noqa: F403
from prefect_kling.tasks.videos import *  # noqa: F403

__all__ = sorted(
    [
        *videos.__all__,
        *images.__all__,
        *omni_images.__all__,
        *edits.__all__,
        *library.__all__,
        *queries.__all__,
        *audio.__all__,
    ]
)
"""The Prefect tasks; `prefect_kling` exports each of them."""
