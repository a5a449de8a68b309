"""`prefect-kling elements` and `prefect-kling voices`: the account's library from the shell.

Each takes `create`, `list` (yours, newest first), `presets` (Kling's own) and `delete`.
`create` waits for Kling to make the entry and prints its id: the id a video request names.
With `--json` each prints one JSON object on stdout. Like the Python tasks, they use
Kling's official API only; with a CometAPI key they exit 2 naming the provider, before
anything is sent.

Examples:
    >>> from prefect_kling.models.library import Element
    >>> fox = Element(element_id="8594", element_name="Rusty", reference_type="image_refer",
    ...               tag_list=[{"tag_id": "o_103"}], owned_by="2210458", status="succeed")
    >>> print(elements_table([fox], "custom elements", 1), end="")
    ID    NAME   TYPE         TAGS    VOICE  OWNER    STATUS
    8594  Rusty  image_refer  Animal  -      2210458  succeed
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import Any

from prefect_kling.cli.common import EXIT_OK, load_credentials
from prefect_kling.cli.parser import CREDENTIALS_HELP, positive_number

PATH_OR_URL = "PATH_OR_URL"


def _listing(parser: argparse.ArgumentParser, largest: int) -> None:
    parser.add_argument("--page", type=int, default=1, help="page number, 1 to 1000 (default: 1)")
    parser.add_argument(
        "--page-size",
        type=int,
        default=30,
        metavar="N",
        help=f"entries per page, 1 to {largest} (default: %(default)s)",
    )


def _shared(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--credentials", metavar="BLOCK_NAME", help=CREDENTIALS_HELP)
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")


def _waiting(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--idempotency-key", help="ask for a fresh take of a request made before")
    parser.add_argument(
        "--max-wait",
        type=positive_number,
        default=3600.0,
        metavar="SECONDS",
        help="longest wait (default: %(default)s)",
    )
    parser.add_argument(
        "--poll-interval",
        type=positive_number,
        default=2.0,
        metavar="SECONDS",
        help="first pause between queries; it grows to 30 s (default: %(default)s)",
    )


def add_library_commands(commands: argparse._SubParsersAction) -> None:
    """Add `elements` and `voices`, each with `create`, `list`, `presets` and `delete`."""
    elements = commands.add_parser(
        "elements", help="your custom elements (subjects videos can show again), and Kling's"
    )
    actions = elements.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="create an element and print its id")
    create.add_argument("name", help="the element's name, at most 20 characters")
    create.add_argument(
        "--description", required=True, help="what the element is, at most 100 characters"
    )
    create.add_argument(
        "--front", metavar=PATH_OR_URL, help="a picture of the subject seen from the front"
    )
    create.add_argument(
        "--image",
        action="append",
        metavar=PATH_OR_URL,
        help="another picture (an angle, a close-up), 1 to 3; repeat the option for each",
    )
    create.add_argument(
        "--video",
        metavar="URL",
        help="instead of pictures: a link to a 3 to 8 s .mp4 or .mov of a realistic person",
    )
    create.add_argument("--voice", metavar="VOICE_ID", help="a voice for the element")
    create.add_argument(
        "--tag",
        action="append",
        help="a tag, o_101 to o_108 or its name (Character, Animal, Item, Costume, Scene, "
        "Effect, Others, Hottest); repeat the option for each",
    )
    _waiting(create)
    _shared(create)
    _add_reads(actions, "element", 500)

    voices = commands.add_parser("voices", help="your custom voices, and Kling's")
    actions = voices.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="create a voice and print its id")
    create.add_argument("name", help="the voice's name, at most 20 characters")
    source = create.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--url", metavar="URL", help="a link to 5 to 30 s of clean speech (.mp3, .wav, .mp4, .mov)"
    )
    source.add_argument(
        "--video-id", metavar="VIDEO_ID", help="a Kling video with clean speech, by its id"
    )
    _waiting(create)
    _shared(create)
    _add_reads(actions, "voice", 1000)


def _add_reads(actions: argparse._SubParsersAction, kind: str, largest: int) -> None:
    mine = actions.add_parser("list", help=f"list your {kind}s, newest first (deleted ones too)")
    _listing(mine, largest)
    _shared(mine)
    presets = actions.add_parser("presets", help=f"list Kling's own {kind}s")
    _listing(presets, largest)
    _shared(presets)
    delete = actions.add_parser("delete", help=f"delete one of your {kind}s")
    delete.add_argument("id", help=f"the {kind}'s id")
    _shared(delete)


def run_elements(args: argparse.Namespace, out: Any) -> int:
    """`prefect-kling elements ACTION`."""
    from prefect_kling.endpoints.library import ELEMENTS
    from prefect_kling.tasks.library import element_fields

    if args.action != "create":
        return _read(ELEMENTS, args, out)
    fields = {
        "element_name": args.name,
        "element_description": args.description,
        "element_voice_id": args.voice,
        **element_fields(
            frontal_image=args.front, refer_images=args.image, video_url=args.video, tags=args.tag
        ),
    }
    return _create(ELEMENTS, fields, args, out)


def run_voices(args: argparse.Namespace, out: Any) -> int:
    """`prefect-kling voices ACTION`."""
    from prefect_kling.endpoints.library import VOICES

    if args.action != "create":
        return _read(VOICES, args, out)
    fields = {"voice_name": args.name, "voice_url": args.url, "video_id": args.video_id}
    return _create(VOICES, fields, args, out)


def _create(library: Any, fields: dict[str, Any], args: argparse.Namespace, out: Any) -> int:
    from prefect_kling.cli.progress import ProgressLine
    from prefect_kling.cli.session import follow
    from prefect_kling.cli.wording import status_said, units_said
    from prefect_kling.library import create_entry

    credentials = load_credentials(args)
    request = {name: value for name, value in fields.items() if value is not None}
    with ProgressLine() as progress:
        progress.phase(f"Creating the {library.kind}")
        made = create_entry(
            credentials,
            library,
            request,
            idempotency_key=args.idempotency_key,
            max_wait_seconds=args.max_wait,
            poll_interval_seconds=args.poll_interval,
            on_status=follow(library.create.name, progress.update),
        )
    entry, task = made.entry, made.task
    entry_id = getattr(entry, library.id_field)
    if args.json:
        summary = {
            library.id_field: entry_id,
            "task_id": task.task_id,
            "status": task.status_said,
            "units": task.units,
            library.kind: entry.model_dump(mode="json"),
        }
        out.write(json.dumps(summary) + "\n")
        return EXIT_OK
    said = f"{status_said(task.status, None)}, {units_said(task.units)}"
    name = getattr(entry, f"{library.kind}_name")
    out.write(
        f"{library.kind.capitalize()} {entry_id} ({name}) is ready: "
        f"Kling {library.create.name} task {task.task_id} {said}.\n"
    )
    return EXIT_OK


def _read(library: Any, args: argparse.Namespace, out: Any) -> int:
    from prefect_kling.library import delete_entry, list_entries

    credentials = load_credentials(args)
    if args.action == "delete":
        answer = delete_entry(credentials, library, args.id)
        if args.json:
            summary = {library.id_field: args.id, "deleted": True, **answer.model_dump()}
            out.write(json.dumps(summary) + "\n")
        else:
            out.write(f"{library.kind.capitalize()} {args.id} deleted.\n")
        return EXIT_OK
    presets = args.action == "presets"
    entries = list_entries(
        credentials, library, presets=presets, page=args.page, page_size=args.page_size
    )
    if args.json:
        listed = [entry.model_dump(mode="json") for entry in entries]
        out.write(json.dumps({library.results: listed, "page": args.page}) + "\n")
        return EXIT_OK
    what = f"{'preset' if presets else 'custom'} {library.kind}s"
    table = elements_table if library.kind == "element" else voices_table
    out.write(table(entries, what, args.page))
    return EXIT_OK


def elements_table(elements: Sequence[Any], what: str, page: int) -> str:
    """Elements as an aligned text table (`what`: `custom elements`, for an empty page)."""
    rows = [
        (
            element.element_id or "-",
            element.element_name or "-",
            element.reference_type or "-",
            ", ".join(element.tags) or "-",
            element.voice.voice_id if element.voice and element.voice.voice_id else "-",
            element.owned_by or "-",
            element.status or "-",
        )
        for element in elements
    ]
    header = ("ID", "NAME", "TYPE", "TAGS", "VOICE", "OWNER", "STATUS")
    return _table(header, rows) if rows else f"No {what} on page {page}.\n"


def voices_table(voices: Sequence[Any], what: str, page: int) -> str:
    """Voices as an aligned text table (`what`: `custom voices`, for an empty page).

    Examples:
        >>> from prefect_kling.models.library import Voice
        >>> print(voices_table([], "preset voices", 2), end="")
        No preset voices on page 2.
    """
    rows = [
        (
            voice.voice_id or "-",
            voice.voice_name or "-",
            voice.owned_by or "-",
            voice.status or "-",
            voice.trial_url or "-",
        )
        for voice in voices
    ]
    header = ("ID", "NAME", "OWNER", "STATUS", "SAMPLE")
    return _table(header, rows) if rows else f"No {what} on page {page}.\n"


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[column]) for row in (header, *rows)) for column in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in (header, *rows)
    ]
    return "\n".join(lines) + "\n"
