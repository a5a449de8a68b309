"""Strict request models and tolerant task models.

Request models refuse unknown fields and check every value before anything is sent;
task models accept whatever Kling adds to its answers.
"""

from prefect_kling.models.common import ImageInput, KlingRequest, StrictModel
from prefect_kling.models.images import MultiImageToImageRequest, SubjectImageItem
from prefect_kling.models.tasks import (
    AudioResult,
    ImageResult,
    KlingTask,
    ParentVideo,
    TaskInfo,
    TaskReference,
    TaskResult,
    TaskStatus,
    VideoResult,
)
from prefect_kling.models.videos import (
    CameraConfig,
    CameraControl,
    DynamicMask,
    ImageListItem,
    ImageToVideoRequest,
    MultiImageToVideoRequest,
    TextToVideoRequest,
    TrajectoryPoint,
    WatermarkInfo,
)

__all__ = [
    "AudioResult",
    "CameraConfig",
    "CameraControl",
    "DynamicMask",
    "ImageInput",
    "ImageListItem",
    "ImageResult",
    "ImageToVideoRequest",
    "KlingRequest",
    "KlingTask",
    "MultiImageToImageRequest",
    "MultiImageToVideoRequest",
    "ParentVideo",
    "StrictModel",
    "SubjectImageItem",
    "TaskInfo",
    "TaskReference",
    "TaskResult",
    "TaskStatus",
    "TextToVideoRequest",
    "TrajectoryPoint",
    "VideoResult",
    "WatermarkInfo",
]
