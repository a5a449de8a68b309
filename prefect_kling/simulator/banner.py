"""What the foreground simulator prints once it listens: how to point a client at it.

Examples:
    >>> from prefect_kling.simulator.config import SimulatorConfig
    >>> print(banner(SimulatorConfig(api_key="sk-1"), "http://127.0.0.1:8000").splitlines()[2])
      gateway API:   KLING_PROVIDER=cometapi KLING_BASE_URL=http://127.0.0.1:8000 KLING_API_KEY=sk-1
"""

from __future__ import annotations

from pathlib import Path

from prefect_kling.simulator.config import SimulatorConfig


def banner(config: SimulatorConfig, base_url: str, state_path: Path | None = None) -> str:
    """The lines that say where the simulator listens and which keys it takes.

    Args:
        config: The settings (the keys are demo values, fine to print).
        base_url: The address it listens on, with the port it really got.
        state_path: The state file it keeps its tasks in, if any.

    Returns:
        The text, ending with a newline.
    """
    lines = [
        f"Kling simulator on {base_url}",
        f"  official API:  KLING_BASE_URL={base_url} KLING_ACCESS_KEY={config.access_key}"
        f" KLING_SECRET_KEY={config.secret_key}",
        f"  gateway API:   KLING_PROVIDER=cometapi KLING_BASE_URL={base_url}"
        f" KLING_API_KEY={config.api_key}",
        f"  inspection:    {base_url}/_simulator/stats",
    ]
    if config.pack_limits:
        lines.append(f"  packs:         {_packs(config.pack_limits)} (prefect-kling costs)")
    if state_path is not None:
        lines.append(f"  state file:    {state_path} (tasks kept across restarts)")
    lines.append("Press Ctrl-C to stop.")
    return "\n".join(lines) + "\n"


def _packs(limits: dict[str, float]) -> str:
    """The account's resource packs in a few words.

    Examples:
        >>> _packs({"video": 1000, "image": 1000}), _packs({"video": 5, "image": 2.5})
        ('1000 units each for video, image', 'video 5 units, image 2.5 units')
    """
    if len(set(limits.values())) == 1:
        units = next(iter(limits.values()))
        return f"{units:g} units each for {', '.join(limits)}"
    return ", ".join(f"{family} {units:g} units" for family, units in limits.items())
