"""`recognize_image`: find the subject, head, face and clothing of an image, and save the masks.

Image recognition creates no task: Kling answers at once with a mask link for each kind it
found. The flow checks the image and the output first, makes the call (charged, 0.1 units,
and never cached: a call made again is charged again), then saves the masks durably,
checksummed, with a manifest, as the generation flows save their files, and shows each as
an image artifact. The masks are named after the image's content digest and their position
in Kling's answer (`image-recognize-<digest>-<index>.png`: 0 subject, 1 head, 2 face,
3 clothing).
"""

from __future__ import annotations

from prefect import flow
from pydantic import BaseModel, Field

from prefect_kling.client.identity import derive_external_task_id
from prefect_kling.downloads import SavedFile
from prefect_kling.endpoints.omni_images import IMAGE_RECOGNIZE
from prefect_kling.flows.arguments import DEFAULT_OUTPUT, Credentials, Output, resolve_credentials
from prefect_kling.flows.pipeline import save_results
from prefect_kling.flows.preflight import check_output
from prefect_kling.library import route_request
from prefect_kling.models.kling_task import KlingTask, TaskReference, TaskStatus
from prefect_kling.models.omni_images import ImageRecognition, RecognizedPart
from prefect_kling.observe import publish_images
from prefect_kling.providers import Provider
from prefect_kling.runtime import Runtime, current_runtime, use_runtime


class RecognitionResult(BaseModel):
    """What image recognition found, what it cost, and the masks saved.

    Examples:
        >>> result = RecognitionResult(
        ...     name="pk-0f", units=0.1,
        ...     parts=[{"type": "face_seg", "is_contain": True, "url": "https://x/2.png"}],
        ... )
        >>> result.summary()["found"], result.mask("face_seg") is None
        (['face_seg'], True)
    """

    name: str = Field(description="The name the masks are saved under (the image's digest).")
    units: float | None = Field(default=None, description="Units Kling charged.")
    parts: list[RecognizedPart] = Field(
        default_factory=list, description="Every kind looked for, in Kling's order."
    )
    files: list[SavedFile] = Field(default_factory=list, description="The masks saved.")

    def mask(self, kind: str) -> SavedFile | None:
        """The saved mask of a kind (`object_seg`, `head_seg`, `face_seg`, `cloth_seg`)."""
        positions = [index for index, part in enumerate(self.parts) if part.type == kind]
        return next((file for file in self.files if file.index in positions), None)

    def summary(self) -> dict[str, object]:
        """A flat, JSON-ready summary (what `prefect-kling image-recognize --json` prints)."""
        return {
            "endpoint": IMAGE_RECOGNIZE.name,
            "units": self.units,
            "found": [part.type for part in self.parts if part.is_contain],
            "files": [
                {
                    "kind": self.parts[file.index].type,
                    "path": file.path,
                    "bytes": file.bytes,
                    "sha256": file.sha256,
                    "index": file.index,
                }
                for file in self.files
            ],
        }


def as_task(
    answer: ImageRecognition, name: str, provider: Provider
) -> tuple[KlingTask, TaskReference]:
    """The answer as a finished task with images, so the downloads save it like any other.

    Each mask keeps its position in Kling's answer as its index; kinds not found have none.
    """
    images = [
        {"index": index, "url": part.url}
        for index, part in enumerate(answer.parts)
        if part.is_contain and part.url
    ]
    task = KlingTask(
        task_id=name,
        task_status=TaskStatus.SUCCEED,
        task_result={"images": images},
        final_unit_deduction=answer.final_unit_deduction,
    )
    return task, TaskReference(task_id=name, endpoint=IMAGE_RECOGNIZE.name, provider=provider)


@flow(name="kling-recognize-image")
def recognize_image(
    image: str,
    credentials: Credentials = None,
    output: Output = DEFAULT_OUTPUT,
    runtime: Runtime | None = None,
) -> RecognitionResult:
    """Recognize an image and save the masks of what it contains.

    Args:
        image: A URL, a local path, or Base64 text.
        credentials: A block, a saved block's name, or None for the `KLING_*` variables.
        output: A local folder, a Prefect writable filesystem block or a `Destination`.
        runtime: Clocks, sleep and client factory (see `generate_video`).

    Returns:
        The kinds looked for and found, the units charged and the masks saved.

    Raises:
        KlingValidationError: The provider has no image recognition (CometAPI), or the
            image or output is refused; nothing is sent.
    """
    check_output(output)
    creds = resolve_credentials(credentials)
    request = route_request(IMAGE_RECOGNIZE, creds, {"image": image})
    payload = request.model_dump(mode="json")
    name = derive_external_task_id(IMAGE_RECOGNIZE.name, payload)
    with use_runtime(runtime):
        with current_runtime().client(creds) as client:
            answer = client.call(IMAGE_RECOGNIZE, request)
        task, reference = as_task(answer, name, creds.provider)
        files = save_results(task, reference, output, False)
        publish_images(reference, task)
    return RecognitionResult(name=name, units=answer.units, parts=answer.parts, files=files)
