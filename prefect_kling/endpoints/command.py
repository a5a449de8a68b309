"""The command-line part of an endpoint row: its `prefect-kling` command, as data.

A `Command` names the command, says what it does in one line, lists its own options (the
options every generation command shares are the CLI's) and says how the parsed arguments
become a request. By default the request is the endpoint's, and its fields are the options
that were given, under their destination names: `--model` (`dest="model_name"`) fills
`model_name`. A command whose arguments need more than that (two endpoints behind one
command, a field made from several options) gives a `request` function.

Examples:
    >>> import argparse
    >>> human, cloth = option("--human", dest="human_image"), option("--cloth", dest="cloth_image")
    >>> command = Command("try-on", "dress a person in a garment", (human, cloth))
    >>> parser = argparse.ArgumentParser(prog="try-on")
    >>> command.add_arguments(parser)
    >>> command.to_request("virtual-try-on", parser.parse_args(["--human", "me.png"]))
    ('virtual-try-on', {'human_image': 'me.png'})
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

Request = tuple[str, dict[str, Any]]
"""An endpoint name and the request fields for it."""


class ArgumentHolder(Protocol):
    """A parser, or a group of one: what options are added to."""

    def add_argument(self, *flags: str, **settings: Any) -> Any:
        """Add one argument."""


@dataclass(frozen=True)
class Option:
    """One command-line argument, as `argparse`'s `add_argument` takes it.

    Attributes:
        flags: The option strings (`--prompt`), or a positional argument's name.
        settings: `add_argument`'s keyword arguments (`required`, `type`, `help`, ...).
        request_field: Whether the value is the request field named like its destination.
    """

    flags: tuple[str, ...]
    settings: Mapping[str, Any] = field(default_factory=dict)
    request_field: bool = True

    @property
    def dest(self) -> str:
        """Where argparse keeps the value: `dest`, else the first flag without its dashes.

        Examples:
            >>> option("--cfg-scale").dest, option("--model", dest="model_name").dest
            ('cfg_scale', 'model_name')
        """
        return self.settings.get("dest") or self.flags[0].lstrip("-").replace("-", "_")

    def add_to(self, parser: ArgumentHolder) -> None:
        """Add the argument to a parser (or a group)."""
        parser.add_argument(*self.flags, **self.settings)


def option(*flags: str, request_field: bool = True, **settings: Any) -> Option:
    """An `Option`, written as `add_argument` is called: `option("--n", type=int)`.

    Args:
        *flags: The option strings, or a positional argument's name.
        request_field: Whether the value is a request field (see `Option.request_field`).
        **settings: `add_argument`'s keyword arguments.
    """
    return Option(flags, settings, request_field)


@dataclass(frozen=True)
class OneOf:
    """Options that exclude each other (`argparse`'s mutually exclusive group).

    Attributes:
        options: The options.
        required: Whether one of them must be given.
    """

    options: tuple[Option, ...]
    required: bool = False

    def add_to(self, parser: argparse.ArgumentParser) -> None:
        """Add the group and its options to a parser."""
        group = parser.add_mutually_exclusive_group(required=self.required)
        for member in self.options:
            member.add_to(group)


def item_option(flag: str, list_field: str, key: str, **settings: Any) -> Option:
    """An option given once per item of a request's list field: each value is `{key: value}`.

    Args:
        flag: The option, e.g. `--image`.
        list_field: The list field it fills, e.g. `image_list`.
        key: The item's key, e.g. `image`.
        **settings: More of `add_argument`'s keyword arguments (`required`, `metavar`, ...).

    Examples:
        >>> parser = argparse.ArgumentParser()
        >>> item_option("--image", "image_list", "image").add_to(parser)
        >>> parser.parse_args(["--image", "a.png", "--image", "b.png"]).image_list
        [{'image': 'a.png'}, {'image': 'b.png'}]
    """
    return option(
        flag, action="append", dest=list_field, type=lambda value: {key: value}, **settings
    )


RequestBuilder = Callable[[argparse.Namespace, dict[str, Any]], Request]
"""Makes the request from the parsed arguments and the field options that were given."""


@dataclass(frozen=True)
class Command:
    """One generation command of `prefect-kling`.

    Attributes:
        name: The command, e.g. `text2video`.
        help: One line for `prefect-kling --help`.
        options: The command's own options, in the order `--help` lists them.
        request: Makes the request when the fields given are not all of it (see the
            module docstring); by default the row's endpoint with those fields.
        repeats: The command can run again on its own result: it takes `--times N` and
            runs `extend_video`'s chain.
    """

    name: str
    help: str
    options: tuple[Option | OneOf, ...] = ()
    request: RequestBuilder | None = None
    repeats: bool = False

    @property
    def fields(self) -> tuple[str, ...]:
        """The destinations of the options that are request fields, in order."""
        names: list[str] = []
        for member in self.options:
            group = member.options if isinstance(member, OneOf) else (member,)
            names.extend(each.dest for each in group if each.request_field)
        return tuple(names)

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """Add the command's own options to its parser."""
        for member in self.options:
            member.add_to(parser)

    def to_request(self, endpoint: str, args: argparse.Namespace) -> Request:
        """The endpoint and request fields of the parsed arguments.

        Args:
            endpoint: The row's endpoint, the request's unless `request` picks another.
            args: The parsed arguments.

        Raises:
            KlingValidationError: The arguments cannot make a request at all; the message
                names the option.
        """
        fields = given(args, *self.fields)
        return self.request(args, fields) if self.request else (endpoint, fields)


def given(args: argparse.Namespace, *names: str) -> dict[str, Any]:
    """The named arguments that were given (not None), in the order named.

    Examples:
        >>> given(argparse.Namespace(prompt="fox", n=None), "prompt", "n")
        {'prompt': 'fox'}
    """
    return {name: getattr(args, name) for name in names if getattr(args, name, None) is not None}
