"""What each provider accepts, as data, and the check run before every create call.

The request models hold the rules that hold everywhere. This module adds what differs
between providers (prompt lengths, image counts, aspect ratios, known models) in one table
per provider, and the rules that depend on the model, mode or duration (`FeatureRule`).
`validate_request` applies both and raises a `KlingValidationError` naming every refused
field, its value and what is allowed, so that nothing is sent (or paid for) in vain.

Example:
    >>> from prefect_kling.capabilities import validate_request
    >>> from prefect_kling.providers import Provider
    >>> try:
    ...     validate_request("text2video", Provider.COMETAPI, {"prompt": "x" * 612})
    ... except KlingValidationError as error:
    ...     print(error.problems[0])
    prompt: 612 characters; allowed: at most 500 characters with provider cometapi
"""

from __future__ import annotations

import fnmatch
import logging
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import BaseModel, ValidationError

from prefect_kling.endpoints import Endpoint, get_endpoint
from prefect_kling.exceptions import (
    FieldProblem,
    KlingImageError,
    KlingValidationError,
    problems_from_pydantic,
)
from prefect_kling.models.common import IMAGE_ERROR, KlingRequest, explain_errors
from prefect_kling.providers import Provider

logger = logging.getLogger(__name__)


class UnknownModelWarning(UserWarning):
    """A model name not known for the endpoint and provider; the request is sent anyway.

    Turn it into an error with `warnings.simplefilter("error", UnknownModelWarning)`, or
    pass `strict=True` to `validate_request`.
    """


@dataclass(frozen=True)
class FeatureRule:
    """A field that only some settings support.

    Patterns are shell-style (`kling-v2*`); a setting left out counts as the endpoint's
    default (see `EndpointLimits.defaults`).

    Attributes:
        feature: The field the rule is about, e.g. `camera_control`.
        only_with: Settings the field needs, as `{field: allowed patterns}`.
        not_with: Settings that rule the field out, as `{field: refused patterns}`.

    Example:
        >>> from prefect_kling.models import TextToVideoRequest
        >>> rule = FeatureRule("cfg_scale", not_with={"model_name": ("kling-v2*",)})
        >>> request = TextToVideoRequest(prompt="a", cfg_scale=0.5, model_name="kling-v2-6")
        >>> [problem.field for problem in rule.problems(request, defaults={})]
        ['cfg_scale']
    """

    feature: str
    only_with: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    not_with: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def problems(
        self, request: KlingRequest, defaults: Mapping[str, str]
    ) -> Iterator[FieldProblem]:
        """The problem, if the request uses the feature with a setting that does not support it."""
        if getattr(request, self.feature, None) is None:
            return
        for name, patterns in self.only_with.items():
            value = _setting(request, name, defaults)
            if not _matches(value, patterns):
                needs = ", ".join(
                    f"{other} {' or '.join(map(repr, allowed))}"
                    for other, allowed in self.only_with.items()
                )
                yield FieldProblem(
                    self.feature,
                    f"not supported with {name} {value!r}; allowed: only with {needs}",
                )
                return
        for name, patterns in self.not_with.items():
            value = _setting(request, name, defaults)
            if _matches(value, patterns):
                refused = " or ".join(map(repr, patterns))
                yield FieldProblem(
                    self.feature,
                    f"not supported with {name} {value!r}; allowed: only with {name} "
                    f"other than {refused}",
                )


@dataclass(frozen=True)
class EndpointLimits:
    """What one provider accepts on one endpoint, beyond the request model's own rules.

    Attributes:
        models: Known model names; another name is sent with a warning, or refused with
            `strict=True`.
        max_chars: Longest text per field, in characters.
        item_counts: Fewest and most items per list field, as `(least, most)`.
        choices: Allowed values per field where the provider narrows the request model.
        defaults: The value Kling uses for a setting left out, to evaluate `features`.
        features: Fields that only some models, modes or durations support.

    Example:
        >>> limits_for(Provider.COMETAPI, "multi-image2video").item_counts
        {'image_list': (2, 4)}
    """

    models: tuple[str, ...] = ()
    max_chars: Mapping[str, int] = field(default_factory=dict)
    item_counts: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    defaults: Mapping[str, str] = field(default_factory=dict)
    features: tuple[FeatureRule, ...] = ()


_RATIOS = ("16:9", "9:16", "1:1")
_MORE_RATIOS = (*_RATIOS, "4:3", "3:4", "3:2", "2:3")
_TEXT2VIDEO_MODELS = (
    "kling-v1",
    "kling-v1-6",
    "kling-v2-master",
    "kling-v2-1-master",
    "kling-v2-5-turbo",
    "kling-v2-6",
    "kling-v3",
)
_IMAGE2VIDEO_MODELS = (
    "kling-v1",
    "kling-v1-5",
    "kling-v1-6",
    "kling-v2-master",
    "kling-v2-1",
    "kling-v2-1-master",
    "kling-v2-5-turbo",
    "kling-v2-6",
    "kling-v3",
)
_VIDEO_DEFAULTS = {"model_name": "kling-v1", "mode": "std", "duration": "5"}
_NO_CFG_SCALE_ON_V2 = FeatureRule("cfg_scale", not_with={"model_name": ("kling-v2*",)})
_CAMERA_ON_V1_STD_5S = FeatureRule(
    "camera_control",
    only_with={"model_name": ("kling-v1",), "mode": ("std",), "duration": ("5",)},
)
_OFFICIAL_TEXT = {"prompt": 2500, "negative_prompt": 2500}
_COMETAPI_TEXT = {"prompt": 500, "negative_prompt": 200}

KLING_LIMITS: dict[str, EndpointLimits] = {
    "text2video": EndpointLimits(
        models=_TEXT2VIDEO_MODELS,
        max_chars=_OFFICIAL_TEXT,
        choices={"aspect_ratio": _RATIOS},
        defaults=_VIDEO_DEFAULTS,
        features=(_NO_CFG_SCALE_ON_V2, _CAMERA_ON_V1_STD_5S),
    ),
    "image2video": EndpointLimits(
        models=_IMAGE2VIDEO_MODELS,
        max_chars=_OFFICIAL_TEXT,
        defaults=_VIDEO_DEFAULTS,
        features=(_NO_CFG_SCALE_ON_V2,),
    ),
    "multi-image2video": EndpointLimits(
        models=("kling-v1-6",),
        max_chars=_OFFICIAL_TEXT,
        item_counts={"image_list": (1, 4)},
        choices={"aspect_ratio": _RATIOS},
    ),
    "multi-image2image": EndpointLimits(
        models=("kling-v2", "kling-v2-1"),
        max_chars={"prompt": 2500},
        item_counts={"subject_image_list": (1, 4)},
    ),
}
"""Kling's official API."""

COMETAPI_LIMITS: dict[str, EndpointLimits] = {
    "text2video": replace(
        KLING_LIMITS["text2video"], max_chars=_COMETAPI_TEXT, choices={"aspect_ratio": _MORE_RATIOS}
    ),
    "image2video": replace(KLING_LIMITS["image2video"], max_chars=_COMETAPI_TEXT),
    "multi-image2video": replace(
        KLING_LIMITS["multi-image2video"],
        max_chars=_COMETAPI_TEXT,
        item_counts={"image_list": (2, 4)},
    ),
    "multi-image2image": replace(
        KLING_LIMITS["multi-image2image"],
        models=("kling-v2",),
        item_counts={"subject_image_list": (2, 4)},
    ),
}
"""The CometAPI gateway: what differs from the official API."""

LIMITS: dict[Provider, dict[str, EndpointLimits]] = {
    Provider.KLING: KLING_LIMITS,
    Provider.COMETAPI: COMETAPI_LIMITS,
}
"""The table of every provider, by endpoint name."""


def limits_for(provider: Provider, endpoint: str | Endpoint) -> EndpointLimits:
    """What a provider accepts on an endpoint (no extra limits if the table has no row)."""
    return LIMITS[Provider(provider)].get(get_endpoint(endpoint).name, EndpointLimits())


def validate_request(
    endpoint: str | Endpoint,
    provider: Provider,
    data: Mapping[str, Any] | BaseModel,
    *,
    strict: bool = False,
) -> KlingRequest:
    """Check a create request completely before it is sent.

    Args:
        endpoint: The endpoint name (e.g. `text2video`) or row.
        provider: Where the request goes; limits differ between providers.
        data: The request fields, or a request model (checked again).
        strict: Refuse model names not known for the endpoint and provider, instead of
            warning about them.

    Returns:
        The validated request model; images hold URLs or raw Base64.

    Raises:
        KlingImageError: Every refused field is an image that breaks Kling's rules.
        KlingValidationError: Any field is refused; the error lists all of them.
    """
    row = get_endpoint(endpoint)
    provider = Provider(provider)
    request = _build(row, data)
    limits = limits_for(provider, row)
    problems = [
        *_text_problems(request, limits, provider),
        *_count_problems(request, limits, provider),
        *_choice_problems(request, limits, provider),
        *(
            problem
            for rule in limits.features
            for problem in rule.problems(request, limits.defaults)
        ),
    ]
    unknown = _unknown_model(request, limits, row, provider)
    if unknown and strict:
        problems.append(
            FieldProblem("model_name", f"{unknown}; allowed: {', '.join(limits.models)}")
        )
    if problems:
        raise KlingValidationError(problems, endpoint=row.name)
    if unknown:
        text = f"model_name {unknown} (known: {', '.join(limits.models)}); sending it anyway"
        logger.warning(text)
        warnings.warn(text, UnknownModelWarning, stacklevel=2)
    return request


def _build(endpoint: Endpoint, data: Mapping[str, Any] | BaseModel) -> KlingRequest:
    """Validate the fields with the endpoint's request model, as typed errors."""
    model = endpoint.request_model
    fields = data.model_dump(exclude_none=True) if isinstance(data, BaseModel) else dict(data)
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        errors = explain_errors(model, exc.errors())
        only_images = all(error["type"] == IMAGE_ERROR for error in errors)
        error_class = KlingImageError if only_images else KlingValidationError
        raise error_class(problems_from_pydantic(errors), endpoint=endpoint.name) from None


def _unknown_model(
    request: KlingRequest, limits: EndpointLimits, endpoint: Endpoint, provider: Provider
) -> str | None:
    """Why the request's model name is unknown, or None if it is known or left out."""
    name = getattr(request, "model_name", None)
    if name is None or not limits.models or name in limits.models:
        return None
    return f"{name!r} is not a known {endpoint.name} model with provider {provider}"


def _text_problems(
    request: KlingRequest, limits: EndpointLimits, provider: Provider
) -> Iterator[FieldProblem]:
    for name, most in limits.max_chars.items():
        text = getattr(request, name, None)
        if text is not None and len(text) > most:
            yield FieldProblem(
                name,
                f"{len(text)} characters; allowed: at most {most} characters "
                f"with provider {provider}",
            )


def _count_problems(
    request: KlingRequest, limits: EndpointLimits, provider: Provider
) -> Iterator[FieldProblem]:
    for name, (least, most) in limits.item_counts.items():
        items = getattr(request, name, None)
        if items is not None and not least <= len(items) <= most:
            yield FieldProblem(
                name,
                f"{len(items)} item{'' if len(items) == 1 else 's'}; "
                f"allowed: {least} to {most} items with provider {provider}",
            )


def _choice_problems(
    request: KlingRequest, limits: EndpointLimits, provider: Provider
) -> Iterator[FieldProblem]:
    for name, allowed in limits.choices.items():
        value = getattr(request, name, None)
        if value is not None and value not in allowed:
            yield FieldProblem(
                name,
                f"{value!r} is not allowed; allowed: {', '.join(map(repr, allowed))} "
                f"with provider {provider}",
            )


def _setting(request: KlingRequest, name: str, defaults: Mapping[str, str]) -> str | None:
    """A setting of the request, or Kling's default for it when left out."""
    value = getattr(request, name, None)
    return defaults.get(name) if value is None else value


def _matches(value: str | None, patterns: tuple[str, ...]) -> bool:
    return value is not None and any(fnmatch.fnmatchcase(value, pattern) for pattern in patterns)
