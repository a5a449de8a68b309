"""What every request model shares: strictness, image fields, payloads and readable errors.

Request models refuse unknown fields and are frozen. Image fields accept a URL, a path,
bytes or Base64 text and hold, once validated, the URL or the raw Base64 content, so a
validated request no longer depends on local files.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from typing import Annotated, Any, ClassVar, get_args

import annotated_types
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails, PydanticCustomError

from prefect_kling._urls import HTTP_URL, url_problem
from prefect_kling.exceptions import KlingImageError
from prefect_kling.media import load_image
from prefect_kling.providers import Provider

IMAGE_ERROR = "kling_image"
"""Pydantic error type of an image that breaks Kling's rules."""
WHOLE_ERROR = "kling_whole"
"""Pydantic error type whose message is whole: the value and what is allowed (audio,
links, ids, texts)."""
BOOL_FOR_NUMBER = "kling_bool_for_number"
"""Pydantic error type of `True` or `False` given where a number belongs."""
RULE_ERROR = "kling_rule"
"""Pydantic error type of a broken rule between fields; its context names the field."""
SECRET_ERROR = "kling_secret"  # noqa: S105 - the name of an error type, not a secret
"""Pydantic error type of a refused secret (a callback URL): its message is final and never
shows the value."""


def _image_value(value: Any, info: ValidationInfo) -> Any:
    try:
        return load_image(value, field=info.field_name or "image")
    except KlingImageError as exc:
        raise PydanticCustomError(IMAGE_ERROR, exc.problems[0].message) from None


ImageInput = Annotated[str, BeforeValidator(_image_value)]
"""An image field: give a URL, a path, bytes or Base64; holds the URL or raw Base64."""


_INVISIBLE = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp"})
"""Unicode categories that show nothing: controls, format characters (zero-width spaces
and joiners, the byte-order mark) and separators."""


def _has_text(value: str) -> str:
    _no_nul(value)
    if value and all(unicodedata.category(ch) in _INVISIBLE for ch in value):
        raise whole_error(
            f"{show(value)} has no visible character; allowed: words saying what to make"
        )
    return value


RequiredPrompt = Annotated[str, Field(min_length=1), AfterValidator(_has_text)]
"""A prompt that must say something: not empty, not only white space or zero-width
characters, and without NUL characters."""


def _no_nul(value: str | None) -> str | None:
    if value is not None and "\x00" in value:
        raise whole_error(
            f"{show(value)} contains a NUL character; allowed: text without NUL (\\x00)"
        )
    return value


Text = Annotated[str | None, AfterValidator(_no_nul)]
"""An optional text field (prompt, negative prompt): any text but NUL characters."""
NegativePrompt = Annotated[
    str | None, AfterValidator(_no_nul), Field(description="What the result should not show.")
]
ModelName = Annotated[
    str | None,
    Field(
        description="Kling model, e.g. `kling-v2-master`; the endpoint's default model when "
        "omitted. Names unknown for the provider are sent with a warning."
    ),
]


def _http_url(value: Any) -> Any:
    if value is None:
        return None
    problem = url_problem(value) if isinstance(value, str) else "not text"
    if problem:
        raise PydanticCustomError(SECRET_ERROR, f"{problem}; allowed: {HTTP_URL}")
    return value


CallbackUrl = Annotated[
    str | None,
    Field(description="URL that Kling calls with the task object on every status change."),
    BeforeValidator(_http_url),
]
"""An http(s) URL with a host; a refusal does not show it (it holds the receiver's token)."""
ExternalTaskId = Annotated[
    str | None,
    Field(
        description="Your own id for the task, unique per account; the task can be looked up "
        "by it, so a repeated create after an ambiguous failure can be avoided."
    ),
]


def _id_text(value: Any) -> Any:
    """Accept `859402` for `"859402"`: Kling's ids are numeric strings."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _fits_a_path(value: str) -> str:
    text = value.strip()
    if not text:
        raise whole_error(
            f"{show(value)} is blank; allowed: a video id from an earlier result, e.g. '859402'"
        )
    if not all(ch.isascii() and (ch.isalnum() or ch in "_-") for ch in text) or text[0] == "-":
        raise whole_error(
            f"{show(value)} is not a video id; allowed: letters, digits, '_' and '-' "
            "(not first), e.g. '859402'"
        )
    return text


VideoId = Annotated[str, BeforeValidator(_id_text), AfterValidator(_fits_a_path)]
"""A video id from an earlier result (a numeric string; an int is accepted): letters,
digits, `_` and `-`, never empty, never starting with `-`."""


def whole_error(message: str) -> PydanticCustomError:
    """The error of a value, with a whole message: the value and what is allowed.

    Args:
        message: E.g. `'http://' has no host; allowed: an http(s) URL with a host`.
    """
    return PydanticCustomError(WHOLE_ERROR, "{message}", {"message": message})


def rule_error(field: str, reason: str) -> PydanticCustomError:
    """The error for a rule between fields, raised from a model validator.

    Args:
        field: The field to blame, relative to the model, e.g. `image_tail`.
        reason: What is wrong and what is allowed.
    """
    return PydanticCustomError(RULE_ERROR, "{field}: {reason}", {"field": field, "reason": reason})


def exactly_one(model: BaseModel, first: str, second: str) -> None:
    """Refuse a model that gives neither or both of two alternative fields.

    Args:
        model: The model being validated (from a model validator).
        first: The field named when both are missing.
        second: The field blamed when both are given.
    """
    one, two = getattr(model, first), getattr(model, second)
    if one is None and two is None:
        raise rule_error(
            first, f"missing, and so is {second}; allowed: exactly one of {first}, {second}"
        )
    if one is not None and two is not None:
        raise rule_error(
            second,
            f"{show(two)} cannot be combined with {first} {show(one)}; "
            f"allowed: exactly one of {first}, {second}",
        )


def nest_input(data: Any, inner: type[BaseModel]) -> Any:
    """Move the fields of `inner` given at the top level under `input` (a before-validator).

    Kling nests some requests' settings under `input`; this lets callers give them flat.

    Args:
        data: The raw data of the outer model.
        inner: The model of `input`.

    Examples:
        >>> from prefect_kling.models import WatermarkInfo
        >>> nest_input({"enabled": True, "callback_url": "https://h"}, WatermarkInfo)
        {'callback_url': 'https://h', 'input': {'enabled': True}}
    """
    if not isinstance(data, dict):
        return data
    flat = [name for name in inner.model_fields if name in data]
    if not flat:
        return data
    if data.get("input") is not None:
        raise rule_error(
            flat[0],
            "given both at the top level and inside input; allowed: every setting either "
            "inside input or at the top level",
        )
    nested = {name: data[name] for name in flat}
    return {**{key: value for key, value in data.items() if key not in nested}, "input": nested}


class StrictModel(BaseModel):
    """Base of request models and their parts: unknown fields refused, instances frozen.

    Examples:
        >>> from prefect_kling.models import WatermarkInfo
        >>> try:
        ...     WatermarkInfo(enabled=True, colour="red")
        ... except ValueError as error:
        ...     print(error.errors()[0]["loc"])
        ('colour',)
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_for_a_number(cls, value: Any, info: ValidationInfo) -> Any:
        # Pydantic reads True as 1 (and 1.0): refused where a number belongs.
        field = cls.model_fields.get(info.field_name or "")
        if isinstance(value, bool) and field is not None and _is_number(field.annotation):
            raise PydanticCustomError(BOOL_FOR_NUMBER, "a number, not true or false")
        return value

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        for name, value in super().__repr_args__():
            if isinstance(value, str) and len(value) > 80:
                value = f"{value[:40]}... ({len(value)} characters)"
            yield name, value


class KlingRequest(StrictModel):
    """Base of the create-request models: the JSON body for each provider.

    Attributes:
        provider_names: Fields a provider spells differently, as `{provider: {field: name}}`.

    Examples:
        >>> from prefect_kling.models import MultiImageToImageRequest
        >>> request = MultiImageToImageRequest(
        ...     subject_image_list=[{"subject_image": "https://example.com/cat.png"}],
        ...     scene_image="https://example.com/beach.png",
        ... )
        >>> sorted(request.to_payload(Provider.COMETAPI))
        ['scence_image', 'subject_image_list']
    """

    provider_names: ClassVar[Mapping[Provider, Mapping[str, str]]] = {}

    def to_payload(self, provider: Provider) -> dict[str, Any]:
        """The JSON body of the create call for a provider.

        Fields left out (None) are omitted, so that Kling applies its defaults.

        Args:
            provider: Where the request is sent.
        """
        names = self.provider_names.get(provider, {})
        payload = self.model_dump(mode="json", exclude_none=True)
        return {names.get(key, key): value for key, value in payload.items()}


def _is_number(annotation: Any) -> bool:
    """Whether an annotation takes numbers and no bools (`float | None`, `int`)."""
    types = _leaf_types(annotation)
    return bool(types & {int, float}) and bool not in types


def _leaf_types(annotation: Any) -> set[Any]:
    parts = get_args(annotation)
    if not parts:
        return {annotation}
    return set().union(*(_leaf_types(part) for part in parts))


def explain_errors(model: type[BaseModel], errors: Iterable[ErrorDetails]) -> list[ErrorDetails]:
    """Rewrite pydantic's errors so that each names the value and what is allowed.

    Args:
        model: The model that was validated.
        errors: The output of `ValidationError.errors()`.

    Returns:
        The errors with `loc` pointing at the blamed field and `msg` in the form
        `<value> is not allowed; allowed: <what is>`.
    """
    return [_explain(model, error) for error in errors]


def _explain(model: type[BaseModel], error: ErrorDetails) -> ErrorDetails:
    kind, loc, ctx = error["type"], error["loc"], error.get("ctx", {})
    if kind == RULE_ERROR:
        return {**error, "loc": (*loc, ctx["field"]), "msg": ctx["reason"]}
    if kind in (IMAGE_ERROR, WHOLE_ERROR, SECRET_ERROR):
        return error
    if kind == "finite_number":
        text = f"{show(error.get('input'))} is not allowed; allowed: {_range(model, loc)}"
        return {**error, "msg": text}
    if kind == "extra_forbidden":
        return {**error, "msg": _unknown_field(model, loc)}
    if kind == "string_too_long":
        most, length = ctx["max_length"], len(str(error.get("input")))
        text = f"{length} characters; allowed: at most {most} character{_s(most)}"
        return {**error, "msg": text}
    return {**error, "msg": _message(kind, show(error.get("input")), ctx, error["msg"])}


def _message(kind: str, shown: str, ctx: dict[str, Any], default: str) -> str:
    """House-style message for one of pydantic's own error types."""
    match kind:
        case "missing":
            return "missing; this field is required"
        case "literal_error":
            return f"{shown} is not allowed; allowed: {ctx['expected'].replace(' or ', ', ')}"
        case "greater_than_equal":
            return f"{shown} is not allowed; allowed: at least {_number(ctx['ge'])}"
        case "less_than_equal":
            return f"{shown} is not allowed; allowed: at most {_number(ctx['le'])}"
        case "too_short":
            return f"{_items(ctx['actual_length'])}; allowed: at least {ctx['min_length']}"
        case "too_long":
            return f"{_items(ctx['actual_length'])}; allowed: at most {ctx['max_length']}"
        case "string_too_short":
            least = ctx["min_length"]
            return f"{shown} is too short; allowed: at least {least} character{_s(least)}"
    if kind in _EXPECTED_TYPES:
        return f"{shown} is not allowed; allowed: {_EXPECTED_TYPES[kind]}"
    return f"{shown} is not allowed; {default[:1].lower()}{default[1:]}"


_EXPECTED_TYPES = {
    BOOL_FOR_NUMBER: "a number, not true or false",
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "string_type": "text",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "dict_type": "an object (a mapping of fields)",
    "model_type": "an object (a mapping of fields)",
    "model_attributes_type": "an object (a mapping of fields)",
    "datetime_type": "a date and time",
    "datetime_parsing": "a date and time",
    "datetime_from_date_parsing": "a date and time",
}
"""What pydantic's type errors expected, in words."""


def _range(model: type[BaseModel], loc: tuple[int | str, ...]) -> str:
    """What a number field allows, in words: `a number from 0 to 1`."""
    info = _field_info(model, loc)
    bounds = {type(item): item for item in (info.metadata if info else [])}
    least, most = bounds.get(annotated_types.Ge), bounds.get(annotated_types.Le)
    if least and most:
        return f"a number from {_number(least.ge)} to {_number(most.le)}"
    if least:
        return f"a number at least {_number(least.ge)}"
    if most:
        return f"a number at most {_number(most.le)}"
    return "a finite number"


def _field_info(model: type[BaseModel], loc: tuple[int | str, ...]) -> FieldInfo | None:
    """The field a pydantic error's location points at, through nested models."""
    info = None
    for part in loc:
        if not isinstance(part, str):
            continue
        info = model.model_fields.get(part)
        if info is None:
            return None
        model = _nested_model(info.annotation) or model
    return info


def _unknown_field(model: type[BaseModel], loc: tuple[int | str, ...]) -> str:
    """Message for an unknown field: the fields allowed where it was, and a likely intended one."""
    for part in loc[:-1]:
        if isinstance(part, str):
            model = _nested_model(model.model_fields[part].annotation) or model
    allowed = list(model.model_fields)
    close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown field; {hint}allowed: {', '.join(allowed)}"


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    """The model inside an annotation such as `list[Item] | None`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    return next(filter(None, map(_nested_model, get_args(annotation))), None)


def show(value: Any, limit: int = 160) -> str:
    """A value as shown in an error message: its repr, abridged in the middle when long.

    The end stays: it holds a path's file name.

    Examples:
        >>> show("/data/" + "x" * 200 + "/cat.png", limit=60)
        "'/data/xxxxxxxx...xxxxxx/cat.png' (216 characters)"
    """
    text = repr(value)
    if len(text) <= limit:
        return text
    half = limit // 4
    return f"{text[:half]}...{text[-half:]} ({len(text)} characters)"


def _items(count: int) -> str:
    return f"{count} item{_s(count)}"


def _s(count: int) -> str:
    return "" if count == 1 else "s"


def _number(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)
