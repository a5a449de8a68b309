"""The newer standard's task rows: one `Endpoint` per product and model, priced per second.

The rows go through the same account machinery as the legacy `/v1` rows (timeline,
concurrency family `video`, resource packs, faults, callbacks, state files); they are
marked `standard`, so that their tasks show Kling's newer task object, and have no legacy
paths (the API serves them at `/<product>/<model>`, see `standard_api`).

Pricing (`billing[].amount`, from `standard_models`): the rate of the row's feature at the
task's resolution, times the billed seconds. The feature is `voice` with a voice, `video`
for omni-video with a reference video, `native` with native audio, else `base`.

Examples:
    >>> from prefect_kling.simulator.orders import Order
    >>> row = STANDARD_BY_NAME["text-to-video/kling-3.0"]
    >>> order = Order(model_name="kling-3.0", duration=10, resolution="1080p", audio="native")
    >>> row.units(order), row.length(order), row.standard
    (12.0, 10.042, True)
    >>> endpoint_named("text2video").name, endpoint_named("nothing") is None
    ('text2video', True)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from prefect_kling.simulator.orders import Context, Order
from prefect_kling.simulator.routes import ENDPOINTS_BY_NAME, VIDEO_OVERHANG_SECONDS, Endpoint
from prefect_kling.simulator.standard_inputs import OfflineInputs
from prefect_kling.simulator.standard_models import MODELS, StandardModel
from prefect_kling.simulator.standard_validation import validate_standard


def feature(spec: StandardModel, order: Order) -> str:
    """Which of the model's prices applies to an order."""
    if order.voice_ids:
        return "voice"
    if spec.product == "omni-video" and order.parent is not None:
        return "video"
    if order.audio == "native":
        return "native"
    return "base"


def standard_units(spec: StandardModel, order: Order) -> float:
    """Units charged for a succeeded task: its rate times its billed seconds."""
    return float(spec.rate(feature(spec, order), order.resolution) * order.duration)


def standard_length(spec: StandardModel, order: Order) -> float:
    """Length of the video made: the motion video's for motion control, else the duration's."""
    if spec.product == "motion-control" and order.parent is not None:
        return order.parent.seconds
    return order.duration + VIDEO_OVERHANG_SECONDS


def standard_row(spec: StandardModel) -> Endpoint:
    """The `Endpoint` of one model.

    Its `validate` checks a body without an account (video lengths from their URLs only,
    every element and voice known); the API validates with the account's inputs instead.
    """

    def validate(body: dict[str, Any], ctx: Context) -> Order:
        return validate_standard(spec, body, OfflineInputs())

    return Endpoint(
        name=spec.name,
        family="video",
        result="video",
        paths={},
        validate=validate,
        units=lambda order: standard_units(spec, order),
        length=lambda order: standard_length(spec, order),
        standard=True,
    )


STANDARD_ENDPOINTS: tuple[Endpoint, ...] = tuple(standard_row(spec) for spec in MODELS)
STANDARD_BY_NAME: Mapping[str, Endpoint] = {row.name: row for row in STANDARD_ENDPOINTS}


def endpoint_named(name: str) -> Endpoint | None:
    """The row of either standard with that name (a state file names its tasks' rows)."""
    return ENDPOINTS_BY_NAME.get(name) or STANDARD_BY_NAME.get(name)
