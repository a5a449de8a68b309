"""`prefect-kling tts`: speak a text with one of Kling's voices, save the audio, print its id.

Text to speech creates no Kling task (the answer carries the audio), so it is no endpoint
row: this command runs `generate_audio` with `endpoint="tts"`. The same call is paid for
once (it is cached on its content; `--refresh` pays for a new one). The audio id it prints
is what `prefect-kling avatar --audio-id` takes.
"""

from __future__ import annotations

import argparse
from typing import Any

from prefect_kling.cli.common import EXIT_OK, load_credentials, print_result
from prefect_kling.cli.parser import CREDENTIALS_HELP, positive_number
from prefect_kling.cli.progress import ProgressLine, prepare_prefect


def add_tts_command(commands: argparse._SubParsersAction) -> None:
    """Add `tts`."""
    tts = commands.add_parser(
        "tts", help="speak a text with a Kling voice, save the MP3, print its audio id"
    )
    tts.add_argument("--text", required=True, help="the words, at most 1,000 characters")
    tts.add_argument("--voice-id", required=True, help="one of Kling's voices, e.g. oversea_male1")
    tts.add_argument("--voice-language", help="zh (default) or en, as the voice speaks")
    tts.add_argument("--voice-speed", type=float, help="0.8..2.0 (1.0 unchanged)")
    tts.add_argument("--credentials", metavar="BLOCK_NAME", help=CREDENTIALS_HELP)
    tts.add_argument(
        "--output-dir",
        default="kling-output",
        help="folder for the audio file (default: %(default)s)",
    )
    tts.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    tts.add_argument(
        "--refresh", action="store_true", help="call Kling again instead of the cached answer"
    )
    tts.add_argument(
        "--max-units", type=positive_number, help="refuse to call past this many units"
    )


def run_tts(args: argparse.Namespace, out: Any) -> int:
    """Check, speak, save, print the result and the audio id."""
    from prefect_kling.flows import generate_audio
    from prefect_kling.flows.audio import check_speech
    from prefect_kling.flows.preflight import check_output

    credentials = load_credentials(args)
    fields = {
        name: value
        for name in ("text", "voice_id", "voice_language", "voice_speed")
        if (value := getattr(args, name)) is not None
    }
    # Refuse bad input (or a provider without text to speech) before any run starts.
    check_output(args.output_dir, field="output_dir")
    check_speech(fields, credentials, max_units=args.max_units)
    with ProgressLine() as progress:
        prepare_prefect(progress)
        result = generate_audio(
            fields,
            endpoint="tts",
            credentials=credentials,
            output=args.output_dir,
            refresh=args.refresh,
            max_units=args.max_units,
        )
    print_result(result, args.json, out)
    if not args.json:
        out.write(f"audio id: {result.audio_id}\n")
    return EXIT_OK
