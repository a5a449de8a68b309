"""`prefect-kling demo`: the ready-made flows on the embedded simulator, nothing to set up.

The simulator keeps its account in a state file in the output folder (`STATE_FILE`), and
comes back on the port it had: a rerun finds the cached creates of the first run (their
key holds the simulator's address), so it creates no task, charges nothing and downloads
nothing (the files' manifests show them saved). Deleting the folder starts afresh.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from prefect_kling.cli.common import EXIT_OK, print_result
from prefect_kling.cli.executables import prefect_command
from prefect_kling.cli.progress import ProgressLine, prepare_prefect
from prefect_kling.cli.wording import units_said

STATE_FILE = "kling-simulator-state.json"
"""The simulator's account, in the output folder: a rerun reuses its tasks."""
TIMING = {"queue_seconds": 1.0, "processing_seconds": 3.0}
"""How long the demo's tasks stay queued and processing, in seconds."""


def run_demo(args: argparse.Namespace, out: Any) -> int:
    """Run `generate_video` twice on the embedded simulator and print where the files are.

    Raises:
        KlingValidationError: The output folder's state file is not one (it names it).
    """
    from prefect_kling.exceptions import KlingValidationError
    from prefect_kling.flows import generate_video
    from prefect_kling.media import make_png
    from prefect_kling.simulator import KlingSimulator, SimulatorConfig
    from prefect_kling.simulator.packs import DEMO_PACK_UNITS

    output = Path(args.output_dir)
    state_path = output / STATE_FILE
    config = SimulatorConfig(**TIMING, resource_pack_units=DEMO_PACK_UNITS)
    try:
        simulator = KlingSimulator(config, state_path=state_path)
    except ValueError as error:  # not a state file: the message names it
        raise KlingValidationError.single("output_dir", f"{error}; delete it") from None
    with simulator as sim:
        credentials = sim.credentials("kling")
        kept = len(sim.tasks())
        out.write(
            f"Started the Kling simulator on {sim.base_url} (no account, no network needed)"
            + (f", with the {kept} tasks of the earlier runs\n" if kept else "\n")
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
                    prepare_prefect(progress)
                    state = generate_video(
                        request,
                        endpoint=endpoint,
                        credentials=credentials,
                        output=output,
                        poll_interval_seconds=0.5,
                        on_status=progress.update,
                        return_state=True,
                    )
                sim.save()  # now, not only at the end: a Ctrl-C may end the process at once
                result = state.result()
                print_result(result, False, out)
                out.write(f"  Prefect flow run: {state.state_details.flow_run_id}\n")
        stats = sim.stats()
    out.write(
        f"\nDone. The videos are in {output.resolve()}.\n"
        f"The simulator's account holds {stats.tasks_created} tasks "
        f"({units_said(stats.units_charged)} charged), kept in {state_path}:\n"
        "a rerun reuses them and their files (delete the folder to start afresh).\n"
        "See the runs, their artifacts (task summaries, progress) and events in the Prefect UI:\n"
        f"  {prefect_command('server', 'start')}    "
        "# then open http://127.0.0.1:4200 (Runs, Artifacts, Event Feed)\n"
    )
    return EXIT_OK
