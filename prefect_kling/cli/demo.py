"""`prefect-kling demo`: the ready-made flows on the embedded simulator, nothing to set up."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from prefect_kling.cli.common import EXIT_OK, print_result
from prefect_kling.cli.progress import ProgressLine


def run_demo(args: argparse.Namespace, out: Any) -> int:
    """Run `generate_video` twice on the embedded simulator and print where the files are."""
    from prefect_kling.flows import generate_video
    from prefect_kling.media import make_png
    from prefect_kling.simulator import KlingSimulator, SimulatorConfig

    output = Path(args.output_dir)
    config = SimulatorConfig(queue_seconds=1.0, processing_seconds=3.0)
    with KlingSimulator(config) as sim:
        credentials = sim.credentials("kling")
        out.write(
            f"Started the Kling simulator on {sim.base_url} (no account, no network needed)\n"
        )
        with tempfile.TemporaryDirectory() as scratch:
            start_frame = Path(scratch) / "start-frame.png"
            start_frame.write_bytes(make_png(1280, 720, seed=3))
            jobs = [
                (
                    "text2video",
                    {
                        "prompt": "A paper boat drifting down a rain-soaked street, cinematic",
                        "duration": "5",
                    },
                ),
                (
                    "image2video",
                    {"image": str(start_frame), "prompt": "The colours slowly swirl and glow"},
                ),
            ]
            for endpoint, request in jobs:
                out.write(f"\nRunning the ready-made flow generate_video ({endpoint})...\n")
                with ProgressLine() as progress:
                    state = generate_video(
                        request,
                        endpoint=endpoint,
                        credentials=credentials,
                        output=output,
                        poll_interval_seconds=0.5,
                        on_status=progress.update,
                        return_state=True,
                    )
                result = state.result()
                print_result(result, False, out)
                out.write(f"  Prefect flow run: {state.state_details.flow_run_id}\n")
    out.write(
        f"\nDone. The videos are in {output.resolve()}.\n"
        "See the runs, their artifacts (task summaries, progress) and events in the Prefect UI:\n"
        "  prefect server start    # then open http://127.0.0.1:4200/runs and /artifacts\n"
    )
    return EXIT_OK
