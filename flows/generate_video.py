"""Generate one video with the ready-made flow: `python flows/generate_video.py "a prompt"`."""

import sys

from _local import kling_credentials

from prefect_kling.flows import generate_video

if __name__ == "__main__":
    prompt = " ".join(sys.argv[1:]) or "A paper boat drifting down a rain-soaked street"
    with kling_credentials() as credentials:
        result = generate_video(
            {"prompt": prompt, "duration": "5", "mode": "std"},
            credentials=credentials,
            output="kling-output",
        )
    print(f"task {result.task_id}: {result.status}, {result.units} units")
    for file in result.files:
        print(f"  {file.path} ({file.bytes:,} bytes, sha256 {file.sha256[:12]})")
