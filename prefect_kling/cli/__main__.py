"""`python -m prefect_kling.cli`: the same as the `prefect-kling` command."""

import sys

from prefect_kling.cli import main

sys.exit(main())
