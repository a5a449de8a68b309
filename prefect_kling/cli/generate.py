"""The generation commands of `prefect-kling`: one runner for every endpoint row's command.

A generation command checks its request, its output folder and its budget (exit 2
before any flow run starts, so before anything is sent), runs the
ready-made flow (`generate_image` for image rows, `generate_audio` for audio rows,
`generate_video` for the others; a
command that `repeats` runs the `extend_video` chain), and prints the result. So Prefect's
caching, retries, artifacts and events apply as in any flow.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from prefect_kling.cli.common import EXIT_OK, load_credentials, print_result
from prefect_kling.cli.parser import generation_commands
from prefect_kling.cli.progress import ProgressLine, prepare_prefect
from prefect_kling.cli.session import follow


def run_options(args: argparse.Namespace) -> dict[str, Any]:
    """The flow arguments every generation command shares."""
    return {
        "output": args.output_dir,
        "idempotency_key": args.idempotency_key,
        "refresh": args.refresh,
        "watermark": args.watermark,
        "max_wait_seconds": args.max_wait,
        "max_units": args.max_units,
        "poll_interval_seconds": args.poll_interval,
        "strict": not args.allow_unknown_model,
    }


def check_before_the_flow(
    args: argparse.Namespace, endpoint: str, fields: dict[str, Any], credentials: Any
) -> None:
    """Refuse, before any flow run starts, what the flow would refuse inside its run.

    The request (as the flow checks it), the output folder, and the budget against the
    request's estimate (`--times` of it in a chain).

    Raises:
        KlingValidationError: The request, the output folder or `--times` is refused.
        KlingBudgetExceeded: `--max-units` cannot pay for the estimate.
    """
    from prefect_kling.flows import check_request
    from prefect_kling.flows.preflight import check_output

    check_output(args.output_dir, field="output_dir")
    check_request(
        endpoint,
        fields,
        credentials,
        idempotency_key=args.idempotency_key,
        strict=not args.allow_unknown_model,
        max_units=args.max_units,
        times=getattr(args, "times", 1),
    )


def credentials_of(args: argparse.Namespace) -> Any:
    """The command's credentials, carrying `--callback-url` when it is given.

    The flows take the callback URL from their credentials only, where it is a secret: it
    never becomes a run parameter that Prefect stores and shows.
    """
    credentials = load_credentials(args)
    return credentials.with_callback_url(args.callback_url) if args.callback_url else credentials


def run_generation(args: argparse.Namespace, out: Any) -> int:
    """Run a generation command once: check, generate, print."""
    from prefect_kling.endpoints import ResultKind, get_endpoint
    from prefect_kling.flows import generate_audio, generate_image, generate_video

    credentials = credentials_of(args)
    command, row = generation_commands()[args.command]
    endpoint, fields = command.to_request(row.name, args)
    # Refuse bad input (or a provider without the route) before any run starts.
    check_before_the_flow(args, endpoint, fields, credentials)
    flows = {ResultKind.IMAGE: generate_image, ResultKind.AUDIO: generate_audio}
    flow = flows.get(get_endpoint(endpoint).result_kind, generate_video)
    with ProgressLine() as progress:
        prepare_prefect(progress)
        result = flow(
            fields,
            endpoint=endpoint,
            credentials=credentials,
            on_status=follow(endpoint, progress.update),  # notes the task, for a stop or an error
            **run_options(args),
        )
    print_result(result, args.json, out)
    return EXIT_OK


def run_chain(args: argparse.Namespace, out: Any) -> int:
    """Run a command that repeats (extend) `--times` times in a chain; print every step."""
    from prefect_kling.flows import extend_video
    from prefect_kling.flows.extend import check_times

    credentials = credentials_of(args)
    check_times(args.times)
    command, row = generation_commands()[args.command]
    endpoint, fields = command.to_request(row.name, args)
    check_before_the_flow(args, endpoint, fields, credentials)
    with ProgressLine() as progress:
        prepare_prefect(progress)
        results = extend_video(
            args.video_id,
            times=args.times,
            prompt=args.prompt,
            negative_prompt=args.negative_prompt,
            cfg_scale=args.cfg_scale,
            task_id=args.task_id,
            credentials=credentials,
            on_status=follow(endpoint, progress.update),
            **run_options(args),
        )
    if args.json:
        last = results[-1].summary()
        out.write(json.dumps({**last, "steps": [r.summary() for r in results]}) + "\n")
        return EXIT_OK
    for step, result in enumerate(results, start=1):
        out.write(f"Step {step} of {len(results)}: ")
        print_result(result, False, out)
    return EXIT_OK
