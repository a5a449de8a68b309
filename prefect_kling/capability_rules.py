"""The rules of the capability table: settings that only some models, modes or durations allow.

Each rule is data in an endpoint's row (`EndpointLimits.features` and `value_rules`, see
`prefect_kling.capabilities`) and knows how to read a request against it: `problems`
yields a `FieldProblem` for every field the request's settings do not allow, naming the
value and what is allowed. A setting the request leaves out counts as Kling's default for
it; settings are matched with shell-style patterns (`kling-v2*`).

Examples:
    >>> from prefect_kling.models import TextToVideoRequest
    >>> rule = FeatureRule("sound", only_with={"model_name": ("kling-v2-6*",)})
    >>> request = TextToVideoRequest(prompt="a fox", sound="on", model_name="kling-v1")
    >>> [problem.field for problem in rule.problems(request, defaults={})]
    ['sound']
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from prefect_kling.exceptions import FieldProblem
from prefect_kling.models.common import KlingRequest, show

Settings = Callable[[str], Any]
"""Reads a setting by (dotted) field name: the request's value, or Kling's default."""


@dataclass(frozen=True)
class FeatureRule:
    """A field that only some settings support.

    Patterns are shell-style (`kling-v2*`); a setting left out counts as the endpoint's
    default (see `EndpointLimits.defaults`). Field names may be dotted (`input.mode`).

    Attributes:
        feature: The field the rule is about, e.g. `camera_control`.
        only_with: Settings the field needs, as `{field: allowed patterns}`.
        not_with: Settings that rule the field out, as `{field: refused patterns}`.
        required_with: Settings that make the field required, as `{field: patterns}`
            (all must match; `*` matches any value given).

    Examples:
        >>> from prefect_kling.models import TextToVideoRequest
        >>> rule = FeatureRule("cfg_scale", not_with={"model_name": ("kling-v2*",)})
        >>> request = TextToVideoRequest(prompt="a", cfg_scale=0.5, model_name="kling-v2-6")
        >>> for problem in rule.problems(request, defaults={}):
        ...     print(problem.field, "|", problem.message)  # doctest: +NORMALIZE_WHITESPACE
        cfg_scale | 0.5 is not supported with model_name 'kling-v2-6';
        allowed: only with model_name other than 'kling-v2*'
    """

    feature: str
    only_with: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    not_with: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    required_with: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def reason(self, setting: Settings) -> str | None:
        """Why the feature cannot be used with these settings, or None if it can.

        Args:
            setting: Reads a setting by name (the request's value or Kling's default).
        """
        for name, patterns in self.only_with.items():
            value = setting(name)
            if not _matches(value, patterns):
                needs = ", ".join(
                    f"{other} {' or '.join(map(repr, allowed))}"
                    for other, allowed in self.only_with.items()
                )
                return f"not supported with {name} {value!r}; allowed: only with {needs}"
        for name, patterns in self.not_with.items():
            value = setting(name)
            if _matches(value, patterns):
                refused = " or ".join(map(repr, patterns))
                return (
                    f"not supported with {name} {value!r}; allowed: only with {name} "
                    f"other than {refused}"
                )
        return None

    def problems(
        self, request: KlingRequest, defaults: Mapping[str, str]
    ) -> Iterator[FieldProblem]:
        """The problem: the feature used where unsupported, or missing where required."""
        value = field_value(request, self.feature)
        if value is None:
            yield from _required_problem(self, request, defaults)
            return
        reason = self.reason(lambda name: _setting(request, name, defaults))
        if reason is not None:
            yield FieldProblem(self.feature, _value_prefix(value) + reason)


@dataclass(frozen=True)
class ValueRule:
    """Values of a field that only some settings allow.

    Attributes:
        field: The field, dotted for nested ones (`input.duration`).
        allowed: The values it may take when the rule applies.
        when: The settings the rule applies to, as `{field: patterns}` (all must match;
            a setting left out counts as its default).
        unless: Fields whose presence lifts the rule (O1's 5 or 10 s with a first frame
            holds only without reference images or videos).

    Examples:
        >>> from prefect_kling.models import TextToVideoRequest
        >>> rule = ValueRule("duration", ("5",), when={"model_name": ("kling-v1",)})
        >>> request = TextToVideoRequest(prompt="a fox", model_name="kling-v1", duration="10")
        >>> [problem.message for problem in rule.problems(request, defaults={})]
        ["'10' is not allowed with model_name 'kling-v1'; allowed: '5'"]
    """

    field: str
    allowed: tuple[str, ...]
    when: Mapping[str, tuple[str, ...]]
    unless: tuple[str, ...] = ()

    def problems(
        self, request: KlingRequest, defaults: Mapping[str, str]
    ) -> Iterator[FieldProblem]:
        """The problem: a value the settings do not allow."""
        value = field_value(request, self.field)
        settings = {name: _setting(request, name, defaults) for name in self.when}
        applies = all(_matches(settings[name], pats) for name, pats in self.when.items())
        applies = applies and not any(field_value(request, name) for name in self.unless)
        if value is None or not applies or str(value) in self.allowed:
            return
        allowed = ", ".join(map(repr, self.allowed))
        yield FieldProblem(
            self.field,
            f"{show(value)} is not allowed with {_said(self.when, settings)}; allowed: {allowed}",
        )


@dataclass(frozen=True)
class LengthRule:
    """A shorter text limit that only some settings have (a model's prompt length).

    Attributes:
        field: The text field.
        most: Its most characters when the rule applies.
        when: The settings the rule applies to, as `{field: patterns}` (all must match).

    Examples:
        >>> from prefect_kling.models import NewTextToVideoRequest
        >>> rule = LengthRule("prompt", 4, when={"model_name": ("kling-2.6",)})
        >>> request = NewTextToVideoRequest(prompt="a fox", model_name="kling-2.6")
        >>> [problem.message for problem in rule.problems(request, defaults={})]
        ["5 characters; allowed: at most 4 characters with model_name 'kling-2.6'"]
    """

    field: str
    most: int
    when: Mapping[str, tuple[str, ...]]

    def problems(
        self, request: KlingRequest, defaults: Mapping[str, str]
    ) -> Iterator[FieldProblem]:
        """The problem: a text longer than the settings allow."""
        value = field_value(request, self.field)
        settings = {name: _setting(request, name, defaults) for name in self.when}
        applies = all(_matches(settings[name], pats) for name, pats in self.when.items())
        if value is None or not applies or len(value) <= self.most:
            return
        yield FieldProblem(
            self.field,
            f"{len(value)} characters; allowed: at most {self.most} characters with "
            f"{_said(self.when, settings)}",
        )


def _said(when: Mapping[str, tuple[str, ...]], settings: Mapping[str, Any]) -> str:
    """The settings a rule applies to, as a refusal names them (a file only by its field)."""
    return " and ".join(
        name if when[name] == ("*",) else f"{name} {settings[name]!r}" for name in when
    )


@dataclass(frozen=True)
class PairRule:
    """Two fields that some settings do not allow together (O1: a last frame and references).

    Attributes:
        field: The field refused when both are given.
        other: The field it cannot be combined with.
        when: The settings the rule applies to, as `{field: patterns}` (all must match).

    Examples:
        >>> from prefect_kling.models import OmniVideoRequest
        >>> rule = PairRule("reference_images", "last_frame", when={"model_name": ("kling-o1",)})
        >>> request = OmniVideoRequest(
        ...     prompt="@image_1 walks", model_name="kling-o1",
        ...     first_frame="https://example.com/a.png", last_frame="https://example.com/b.png",
        ...     reference_images=["https://example.com/c.png"],
        ... )
        >>> print([problem.message for problem in rule.problems(request, defaults={})][0])
        cannot be combined with last_frame with model_name 'kling-o1'; allowed: one of them
    """

    field: str
    other: str
    when: Mapping[str, tuple[str, ...]]

    def problems(
        self, request: KlingRequest, defaults: Mapping[str, str]
    ) -> Iterator[FieldProblem]:
        """The problem: both fields given where the settings allow one."""
        settings = {name: _setting(request, name, defaults) for name in self.when}
        applies = all(_matches(settings[name], pats) for name, pats in self.when.items())
        if applies and field_value(request, self.field) and field_value(request, self.other):
            yield FieldProblem(
                self.field,
                f"cannot be combined with {self.other} with {_said(self.when, settings)}; "
                "allowed: one of them",
            )


def _value_prefix(value: Any) -> str:
    """`'on' is ` for a short value worth repeating; nothing for images, lists and objects."""
    if isinstance(value, str):
        worth = len(value) <= 30 and not value.lower().startswith(("http://", "https://"))
    else:
        worth = isinstance(value, int | float)
    return f"{show(value)} is " if worth else ""


def field_value(request: BaseModel, name: str) -> Any:
    """A field of the request by dotted name (`input.mode`), None when absent."""
    value: Any = request
    for part in name.split("."):
        value = getattr(value, part, None)
        if value is None:
            return None
    return value


def _required_problem(
    rule: FeatureRule, request: KlingRequest, defaults: Mapping[str, str]
) -> Iterator[FieldProblem]:
    settings = rule.required_with
    if settings and all(
        _matches(_setting(request, name, defaults), pats) for name, pats in settings.items()
    ):
        when = " and ".join(
            name if patterns == ("*",) else f"{name} {_setting(request, name, defaults)!r}"
            for name, patterns in settings.items()
        )
        yield FieldProblem(rule.feature, f"missing; allowed: required with {when}")


def _setting(request: KlingRequest, name: str, defaults: Mapping[str, str]) -> str | None:
    """A setting of the request, or Kling's default for it when left out."""
    value = field_value(request, name)
    return defaults.get(name) if value is None else value


def _matches(value: str | None, patterns: tuple[str, ...]) -> bool:
    return value is not None and any(
        fnmatch.fnmatchcase(str(value), pattern) for pattern in patterns
    )
