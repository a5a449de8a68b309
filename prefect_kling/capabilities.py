"""The capability check before every create: what each provider accepts, applied as rules.

The request models hold the rules that hold everywhere (field types and ranges, fields
that exclude each other, the shape of a camera control, at most 6 motion-brush groups of 2
to 77 points, a negative prompt only without a reference image, exactly two images in a
two-person effect, an expanded canvas of at most 3 times the original). Everything that
depends on the provider, the endpoint, the model, the mode or the duration is data in the
endpoint rows (`Endpoint.limits` in `prefect_kling.endpoints`): per provider an
`EndpointLimits` with the endpoint's known models, Kling's defaults, text limits, item
counts, allowed choices and the `FeatureRule`s that say which settings a feature needs.
This module is the engine that reads them: `feature_support` answers "endpoint x model x
mode x duration -> allowed features", and `validate_request` applies the limits: every
refused field is reported at once in a `KlingValidationError` naming the field, the value
and what is allowed, and nothing is sent (or paid for) in vain.

Extending the map (in the endpoint's row):

- A new model is one line: add its name to the endpoint's model tuple. Until then its
  name is refused, naming the known models; `strict=False` (`--allow-unknown-model` on
  the command line) sends it anyway with an `UnknownModelWarning`. A name outside the
  endpoint's model family (`model_pattern`, e.g. a `kling-*` name sent to virtual
  try-on) is always refused. Names Kling adds often besides models (effect scenes) are
  `open_choices`, treated the same way.
- A value that only some settings allow (a 10 s video only on some models) is a
  `ValueRule` in the limits' `value_rules`.
- A feature that only some models support is one `FeatureRule` in the limits' `features`,
  with shell-style patterns (`kling-v2*`), e.g.
  `FeatureRule("sound", only_with={"model_name": ("kling-v2-6*", "kling-v3*")})`; a
  newer model that also supports it is one more pattern.
- A provider that differs on an endpoint states only what differs
  (`cometapi_differs(official, max_chars=...)`). A provider without the route has no
  limits.

Examples:
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
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from prefect_kling._checks import problems_from_pydantic
from prefect_kling._logging import RunAwareLogger
from prefect_kling.capability_rules import (
    FeatureRule,
    LengthRule,
    PairRule,
    ValueRule,
    field_value,
)
from prefect_kling.exceptions import (
    FieldProblem,
    KlingImageError,
    KlingValidationError,
)
from prefect_kling.models.common import IMAGE_ERROR, KlingRequest, explain_errors, show
from prefect_kling.providers import Provider

if TYPE_CHECKING:
    from prefect_kling.endpoints import Endpoint

logger = RunAwareLogger(__name__)


class UnknownModelWarning(UserWarning):
    """A model name (or effect scene) not known for the endpoint and provider, sent anyway.

    Only with `strict=False` (`--allow-unknown-model`): by default such a name is refused.
    """


ALLOW_UNKNOWN = (
    "to send a brand-new one on purpose: strict=False in Python, --allow-unknown-model on "
    "the command line"
)
"""How to send a name this version does not know yet, as refusals say it."""


@dataclass(frozen=True)
class EndpointLimits:
    """What one provider accepts on one endpoint, beyond the request model's own rules.

    Attributes:
        models: Known model names; another name is refused, or sent with a warning with
            `strict=False`. Empty for endpoints without a model choice.
        model_field: Where the request names its model (dotted for nested fields).
        model_pattern: The endpoint's model family, shell-style: a name outside it is
            always refused, as it certainly belongs to another kind of endpoint.
        max_chars: Longest text per field, in characters.
        item_counts: Fewest and most items per list field, as `(least, most)`.
        choices: Allowed values per field as this provider documents them (at most what
            the request model allows; fewer where the provider narrows it).
        defaults: The value Kling uses for a setting left out, to evaluate `features`.
        features: Fields that only some models, modes or durations support.
        open_choices: Known values of fields Kling extends often besides models (effect
            scenes), treated as models are: another value is refused, or sent with a
            warning with `strict=False`.
        value_rules: Values of fields that only some settings allow (`ValueRule`), texts
            that only some settings shorten (`LengthRule`), and rules between fields that
            depend on the model (`PairRule`).

    Examples:
        >>> limits_for(Provider.COMETAPI, "multi-image2video").item_counts
        {'image_list': (2, 4)}
    """

    models: tuple[str, ...] = ()
    model_field: str = "model_name"
    model_pattern: str = "kling-*"
    max_chars: Mapping[str, int] = field(default_factory=dict)
    item_counts: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    defaults: Mapping[str, str] = field(default_factory=dict)
    features: tuple[FeatureRule, ...] = ()
    open_choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    value_rules: tuple[ValueRule | LengthRule | PairRule, ...] = ()

    def known_names(self) -> dict[str, tuple[str, ...]]:
        """The model field (if any) and the `open_choices`, with their known values."""
        names = {self.model_field: self.models} if self.models else {}
        return {**names, **self.open_choices}


def limits_for(provider: Provider, endpoint: str | Endpoint) -> EndpointLimits:
    """What a provider accepts on an endpoint: its row's limits (none without the route).

    Examples:
        >>> limits_for(Provider.KLING, "image-expand").max_chars
        {'prompt': 2500}
    """
    return _row(endpoint).limits.get(Provider(provider), EndpointLimits())


def _row(endpoint: str | Endpoint) -> Endpoint:
    # Imported when first used: the rows import this module's EndpointLimits.
    from prefect_kling.endpoints import get_endpoint

    return get_endpoint(endpoint)


def feature_support(
    endpoint: str | Endpoint, provider: Provider, **settings: str | None
) -> dict[str, str | None]:
    """Which model-dependent features a combination of settings supports.

    Args:
        endpoint: The endpoint name or row.
        provider: The provider.
        **settings: Settings such as `model_name`, `mode`, `duration`; left out, Kling's
            defaults for the endpoint apply.

    Returns:
        For every feature with a rule: None when it is supported, else why not.

    Examples:
        >>> support = feature_support("text2video", Provider.KLING, model_name="kling-v2-6")
        >>> support["sound"] is None
        True
        >>> print(support["camera_control"])  # doctest: +NORMALIZE_WHITESPACE
        not supported with model_name 'kling-v2-6';
        allowed: only with model_name 'kling-v1', mode 'std', duration '5'
    """
    limits = limits_for(provider, endpoint)

    def setting(name: str) -> Any:
        value = settings.get(name)
        return limits.defaults.get(name) if value is None else str(value)

    support: dict[str, str | None] = {}
    for rule in limits.features:
        if support.get(rule.feature) is None:
            support[rule.feature] = rule.reason(setting)
    return support


def validate_request(
    endpoint: str | Endpoint,
    provider: Provider,
    data: Mapping[str, Any] | BaseModel,
    *,
    strict: bool = True,
) -> KlingRequest:
    """Check a create request completely before it is sent.

    Args:
        endpoint: The endpoint name (e.g. `text2video`) or row.
        provider: Where the request goes; limits differ between providers.
        data: The request fields, or a request model (checked again).
        strict: Refuse model names (and effect scenes) not known for the endpoint and
            provider; False sends them with an `UnknownModelWarning`, for a model Kling
            added after this version.

    Returns:
        The validated request model; images hold URLs or raw Base64.

    Raises:
        KlingImageError: Every refused field is an image that breaks Kling's rules.
        KlingValidationError: Any field is refused, or the provider has no such route;
            the error lists every problem.

    Examples:
        >>> request = {"prompt": "x", "model_name": "kling-v9"}
        >>> try:
        ...     validate_request("text2video", Provider.KLING, request)
        ... except KlingValidationError as error:
        ...     print(error.problems[0].message)  # doctest: +NORMALIZE_WHITESPACE
        'kling-v9' is not a known text2video model with provider kling; allowed: kling-v1,
        kling-v1-6, kling-v2-master, kling-v2-1-master, kling-v2-5-turbo, kling-v2-6,
        kling-v3 (to send a brand-new one on purpose: strict=False in Python,
        --allow-unknown-model on the command line)
    """
    row = _row(endpoint)
    provider = Provider(provider)
    row.path_template(provider)
    limits = limits_for(provider, row)
    request = _build(row, data, limits, provider)
    problems = [
        *_limit_problems(request, limits, provider),
        *(
            problem
            for rule in (*limits.features, *limits.value_rules)
            for problem in rule.problems(request, limits.defaults)
        ),
    ]
    model_name = field_value(request, limits.model_field)
    foreign = _foreign_model(model_name, limits, row)
    if foreign:
        problems.append(FieldProblem(limits.model_field, foreign))
    unknown = [
        (name, why, known)
        for name, known in limits.known_names().items()
        if not (foreign and name == limits.model_field)
        for why in [_unknown(name, field_value(request, name), known, row, provider)]
        if why is not None
    ]
    if strict:
        problems.extend(
            FieldProblem(name, f"{why}; allowed: {', '.join(known)} ({ALLOW_UNKNOWN})")
            for name, why, known in unknown
        )
    if problems:
        raise KlingValidationError(problems, endpoint=row.name)
    for name, why, known in unknown:
        text = f"{name} {why} (known: {', '.join(known)}); sending it anyway"
        logger.warning(text)
        warnings.warn(text, UnknownModelWarning, stacklevel=2)
    return request


def _build(
    endpoint: Endpoint,
    data: Mapping[str, Any] | BaseModel,
    limits: EndpointLimits,
    provider: Provider,
) -> KlingRequest:
    """Validate the fields with the endpoint's request model, as typed errors.

    A value outside the model's choices is told the provider's choices, where the
    provider narrows them (the model allows what any provider does).
    """
    model = endpoint.request_model
    fields = data.model_dump(exclude_none=True) if isinstance(data, BaseModel) else dict(data)
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        errors = [
            _provider_choices(error, limits, provider)
            for error in explain_errors(model, exc.errors())
        ]
    # Raised outside the handler, so that the refusal does not keep pydantic's error as its
    # context: its inputs may hold a secret (a callback URL's token).
    only_images = all(error["type"] == IMAGE_ERROR for error in errors)
    error_class = KlingImageError if only_images else KlingValidationError
    raise error_class(problems_from_pydantic(errors), endpoint=endpoint.name)


def _provider_choices(error: ErrorDetails, limits: EndpointLimits, provider: Provider) -> Any:
    choices = limits.choices.get(".".join(map(str, error["loc"])))
    if error["type"] != "literal_error" or choices is None:
        return error
    allowed = ", ".join(map(repr, choices))
    text = f"{show(error.get('input'))} is not allowed; allowed: {allowed} with provider {provider}"
    return {**error, "msg": text}


def _foreign_model(name: Any, limits: EndpointLimits, endpoint: Endpoint) -> str | None:
    """Why a model name is of another model family, or None."""
    if name is None or not limits.models or fnmatch.fnmatchcase(name, limits.model_pattern):
        return None
    return (
        f"{name!r} is not a model of {endpoint.name}; allowed: {', '.join(limits.models)} "
        f"(or another {limits.model_pattern} name)"
    )


def _unknown(
    field_name: str, value: Any, known: tuple[str, ...], endpoint: Endpoint, provider: Provider
) -> str | None:
    """Why a model name (or effect scene) is unknown, or None if known or left out."""
    if value is None or not known or value in known:
        return None
    leaf = field_name.rsplit(".", 1)[-1]
    if leaf == "model_name":
        return f"{value!r} is not a known {endpoint.name} model with provider {provider}"
    what = leaf.replace("_", " ")
    return f"{value!r} is not a known {what} of {endpoint.name} with provider {provider}"


def _limit_problems(
    request: KlingRequest, limits: EndpointLimits, provider: Provider
) -> Iterator[FieldProblem]:
    """Every field past the provider's text length, item counts or choices."""
    for bounds, complaint in (
        (limits.max_chars, _too_long),
        (limits.item_counts, _wrong_count),
        (limits.choices, _not_a_choice),
    ):
        for name, bound in bounds.items():
            value = field_value(request, name)
            why = None if value is None else complaint(value, bound)
            if why is not None:
                yield FieldProblem(name, f"{why} with provider {provider}")


def _too_long(text: str, most: int) -> str | None:
    if len(text) <= most:
        return None
    return f"{len(text)} characters; allowed: at most {most} characters"


def _wrong_count(items: list[Any], bounds: tuple[int, int]) -> str | None:
    least, most = bounds
    if least <= len(items) <= most:
        return None
    return f"{len(items)} item{'' if len(items) == 1 else 's'}; allowed: {least} to {most} items"


def _not_a_choice(value: Any, allowed: tuple[str, ...]) -> str | None:
    if value in allowed:
        return None
    return f"{value!r} is not allowed; allowed: {', '.join(map(repr, allowed))}"
