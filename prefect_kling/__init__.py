"""Prefect integration for Kling, the AI video and image generation API.

Every Prefect task of `prefect_kling.tasks` is exported here too: the list comes from
`tasks.__all__`, so a new task needs no edit in this file.
"""

from prefect_kling import tasks as _tasks
from prefect_kling._version import __version__
from prefect_kling.client import AsyncKlingClient, KlingClient
from prefect_kling.credentials import KlingCredentials
from prefect_kling.exceptions import (
    KlingAPIError,
    KlingError,
    KlingTaskFailed,
    KlingTaskTimedOut,
    KlingValidationError,
)
from prefect_kling.models.kling_task import KlingTask, TaskReference, TaskStatus
from prefect_kling.sensors import wait_for_task
from prefect_kling.tasks import *  # noqa: F403 - the Prefect tasks, as listed in tasks.__all__

__all__ = [
    "AsyncKlingClient",
    "KlingAPIError",
    "KlingClient",
    "KlingCredentials",
    "KlingError",
    "KlingTask",
    "KlingTaskFailed",
    "KlingTaskTimedOut",
    "KlingValidationError",
    "TaskReference",
    "TaskStatus",
    "__version__",
    "wait_for_task",
]
__all__ += _tasks.__all__
