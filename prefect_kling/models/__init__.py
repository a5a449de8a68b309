"""Strict request models and tolerant task models.

Request models refuse unknown fields and check every value before anything is sent;
task models accept whatever Kling adds to its answers.
"""

from prefect_kling.models.account import AccountCosts, AccountCostsQuery, ResourcePack
from prefect_kling.models.audio import (
    AvatarRequest,
    TextToAudioRequest,
    TextToSpeechRequest,
    VideoToAudioRequest,
)
from prefect_kling.models.common import ImageInput, KlingRequest, StrictModel
from prefect_kling.models.effects import EffectInput, VideoEffectRequest
from prefect_kling.models.images import (
    ImageExpandRequest,
    ImageGenerationRequest,
    MultiImageToImageRequest,
    SubjectImageItem,
    VirtualTryOnRequest,
)
from prefect_kling.models.kling_task import (
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
from prefect_kling.models.lipsync import (
    AdvancedLipSyncRequest,
    AudioInput,
    FaceChoice,
    FaceData,
    IdentifyFaceRequest,
    IdentifyFaceResult,
    LipSyncInput,
    LipSyncRequest,
)
from prefect_kling.models.new_standard import (
    ElementRef,
    MotionControlRequest,
    NewImageToVideoRequest,
    NewStandardRequest,
    NewTextToVideoRequest,
    OmniVideoRequest,
    VoiceRef,
)
from prefect_kling.models.omni_images import (
    ImageRecognition,
    ImageRecognizeRequest,
    MultiShotRequest,
    OmniElementItem,
    OmniImageItem,
    OmniImageRequest,
    RecognizedPart,
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
    VideoExtendRequest,
    WatermarkInfo,
)

__all__ = [
    "AccountCosts",
    "AccountCostsQuery",
    "AdvancedLipSyncRequest",
    "AudioInput",
    "AudioResult",
    "AvatarRequest",
    "CameraConfig",
    "CameraControl",
    "DynamicMask",
    "EffectInput",
    "ElementRef",
    "FaceChoice",
    "FaceData",
    "IdentifyFaceRequest",
    "IdentifyFaceResult",
    "ImageExpandRequest",
    "ImageGenerationRequest",
    "ImageInput",
    "ImageListItem",
    "ImageRecognition",
    "ImageRecognizeRequest",
    "ImageResult",
    "ImageToVideoRequest",
    "KlingRequest",
    "KlingTask",
    "LipSyncInput",
    "LipSyncRequest",
    "MotionControlRequest",
    "MultiImageToImageRequest",
    "MultiImageToVideoRequest",
    "MultiShotRequest",
    "NewImageToVideoRequest",
    "NewStandardRequest",
    "NewTextToVideoRequest",
    "OmniElementItem",
    "OmniImageItem",
    "OmniImageRequest",
    "OmniVideoRequest",
    "ParentVideo",
    "RecognizedPart",
    "ResourcePack",
    "StrictModel",
    "SubjectImageItem",
    "TaskInfo",
    "TaskReference",
    "TaskResult",
    "TaskStatus",
    "TextToAudioRequest",
    "TextToSpeechRequest",
    "TextToVideoRequest",
    "TrajectoryPoint",
    "VideoEffectRequest",
    "VideoExtendRequest",
    "VideoResult",
    "VideoToAudioRequest",
    "VirtualTryOnRequest",
    "VoiceRef",
    "WatermarkInfo",
]
