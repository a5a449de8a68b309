"""What every command of `prefect-kling` uses: exit codes, credentials, the result lines.

Exit codes: `EXIT_OK` (0) success; `EXIT_INPUT` (2) input refused before it was sent, or a
create that `--max-units` stopped; `EXIT_REMOTE` (1) a remote failure or a timeout.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from prefect_kling.cli.wording import result_line

EXIT_OK, EXIT_REMOTE, EXIT_INPUT = 0, 1, 2


def load_credentials(args: argparse.Namespace) -> Any:
    """The `--credentials` block, or `KlingCredentials.from_env()` without one.

    Raises:
        KlingValidationError: No block of that name is saved.
        KlingConfigurationError: Without a block, the `KLING_*` variables are incomplete.
    """
    from prefect_kling.credentials import KlingCredentials
    from prefect_kling.exceptions import KlingValidationError

    if not args.credentials:
        return KlingCredentials.from_env()
    try:
        return KlingCredentials.load(args.credentials)
    except ValueError as error:  # Prefect's "Unable to find block document named ..."
        raise KlingValidationError.single(
            "credentials",
            f"no saved KlingCredentials block named {args.credentials!r} ({error}); allowed: "
            "a block saved with KlingCredentials(...).save(name), or none for KLING_*",
        ) from None


def print_result(result: Any, as_json: bool, out: Any) -> None:
    """Write a `GenerationResult`: one JSON object, or a line and a line a saved file.

    The line says the status in the package's words, the units, when the task ended if
    that was long ago (`wording.LONG_AGO`), and that nothing new was charged for a task
    reused from an earlier run (`wording.result_line`).
    """
    summary = result.summary()
    if as_json:
        out.write(json.dumps(summary) + "\n")
        return
    out.write(result_line(summary) + "\n")
    for file in summary["files"]:
        video = (
            f", video id {file['video_id']}, {file['duration']} s" if file.get("video_id") else ""
        )
        if file.get("audio_id"):
            video = f", audio id {file['audio_id']}, {file['duration']} s"
        out.write(
            f"  saved {file['path']} ({file['bytes']:,} bytes, "
            f"sha256 {file['sha256'][:12]}{video})\n"
        )
