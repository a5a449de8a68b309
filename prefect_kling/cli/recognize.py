"""`prefect-kling image-recognize`: the subject, head, face and clothing masks of an image.

Image recognition creates no task: the command checks the image and the output folder
(exit 2 before anything is sent, also for a provider without the route), runs the
`recognize_image` flow and prints what was found and where each mask was saved.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from prefect_kling.cli.common import EXIT_OK, load_credentials
from prefect_kling.cli.wording import units_said


def add_recognize_command(commands: Any, credentials_help: str) -> None:
    """Add `image-recognize` to the parser's commands."""
    recognize = commands.add_parser(
        "image-recognize",
        help="the subject, head, face and clothing masks of an image (answered at once)",
    )
    recognize.add_argument("--image", required=True, metavar="PATH_OR_URL", help="the image")
    recognize.add_argument("--credentials", metavar="BLOCK_NAME", help=credentials_help)
    recognize.add_argument(
        "--output-dir",
        default="kling-output",
        help="folder for the masks (default: %(default)s)",
    )
    recognize.add_argument("--json", action="store_true", help="print one JSON object on stdout")


def run_recognize(args: argparse.Namespace, out: Any) -> int:
    """Recognize an image, save its masks, print them."""
    from prefect_kling.endpoints.omni_images import IMAGE_RECOGNIZE
    from prefect_kling.flows import recognize_image
    from prefect_kling.flows.preflight import check_output
    from prefect_kling.library import route_request

    credentials = load_credentials(args)
    # Refuse a provider without the route, a bad image or output before anything is sent.
    check_output(args.output_dir, field="output_dir")
    route_request(IMAGE_RECOGNIZE, credentials, {"image": args.image})
    result = recognize_image(args.image, credentials=credentials, output=args.output_dir)
    summary = result.summary()
    if args.json:
        out.write(json.dumps(summary) + "\n")
        return EXIT_OK
    found = ", ".join(summary["found"]) or "nothing"
    out.write(f"Recognized {found} ({units_said(result.units)})\n")
    for file in summary["files"]:
        out.write(
            f"  saved {file['kind']} {file['path']} ({file['bytes']:,} bytes, "
            f"sha256 {file['sha256'][:12]})\n"
        )
    return EXIT_OK
