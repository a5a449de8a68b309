"""Prefect integration for Kling, the AI video and image generation API."""

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
from prefect_kling.models.tasks import KlingTask, TaskReference, TaskStatus
from prefect_kling.sensors import wait_for_task
from prefect_kling.tasks import (
    apply_video_effect,
    expand_image,
    extend_video,
    generate_image,
    get_account_costs,
    get_task,
    image_to_video,
    lip_sync,
    list_tasks,
    multi_image_to_image,
    multi_image_to_video,
    text_to_video,
    virtual_try_on,
)

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
    "apply_video_effect",
    "expand_image",
    "extend_video",
    "generate_image",
    "get_account_costs",
    "get_task",
    "image_to_video",
    "lip_sync",
    "list_tasks",
    "multi_image_to_image",
    "multi_image_to_video",
    "text_to_video",
    "virtual_try_on",
    "wait_for_task",
]
