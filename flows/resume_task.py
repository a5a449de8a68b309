"""Wait for an earlier task and save its files: `python flows/resume_task.py ENDPOINT TASK_ID`."""

import sys

from prefect_kling.flows import resume_task

if __name__ == "__main__":
    endpoint, task_id = sys.argv[1], sys.argv[2]
    result = resume_task(endpoint, task_id=task_id, output="kling-output")
    for file in result.files:
        print(file.path)
