"""Which pytest-xdist process runs which tests, and in what order.

With `--dist loadfile`, each test file is a unit of work that one process runs whole, so
that module fixtures (simulators, killed runs) start once. The folder `tests/servers/`,
whose tests start real Prefect servers, is a single unit instead: its tests share one
PostgreSQL and one Prefect server on it, which then start in one process only.

Units go out longest first, as well as can be told before running them: `tests/servers/`
(a minute of it waits for a slot lease to run out) to a process that runs nothing else, then
the files with end-to-end tests (`e2e`: flow runs against Prefect), then the rest, each
band with its larger files first. pytest-xdist's own order (most tests first) would leave
the servers' unit, which has few tests, for last.

The servers' unit is also the longest road through the session: alone it takes some two
minutes, more than half of them waits on its Prefect workers and their flow runs, which
start new Python processes. With the other processes as busy as two cores allow, those
starts would wait for the CPU and the unit would end long after the rest. So the processes
that run other files lower their priority (`OTHERS_NICENESS`), and with them the Prefect
servers and commands they start: they take what CPU the servers' unit leaves.
"""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import pytest
from xdist.scheduler import LoadScopeScheduling

SERVERS = "tests/servers"
"""The folder that is one unit of work."""
OTHERS_NICENESS = 10
"""How much the processes without the servers' unit lower their priority (`os.nice`)."""

_yield_to_servers = False
"""Whether this process is still to lower its priority: set when the session holds the
servers' unit, cleared at its first test."""


def unit_of(nodeid: str) -> str:
    """The unit of work a test belongs to: its file, or the servers' folder.

    Examples:
        >>> unit_of("tests/test_flows.py::test_a_batch[2]")
        'tests/test_flows.py'
        >>> unit_of("tests/servers/test_scale.py::test_workers")
        'tests/servers'
    """
    path = nodeid.split("::", 1)[0]
    return SERVERS if path.startswith(f"{SERVERS}/") else path


class UnitScheduling(LoadScopeScheduling):
    """pytest-xdist's scheduling by scope, with `unit_of` as the scope, in collection order."""

    def __init__(self, config: pytest.Config, log: Any = None) -> None:
        super().__init__(config, log)
        config.option.loadscopereorder = False  # keep the order of `pytest_collection_modifyitems`

    def _split_scope(self, nodeid: str) -> str:
        return unit_of(nodeid)

    def _reschedule(self, node: Any) -> None:
        servers = self.assigned_work.get(node, {}).get(SERVERS)
        if servers is None or len(self.nodes) == 1:
            super()._reschedule(node)
            return
        # The process with the servers' unit takes nothing else: no file waits behind the
        # servers' tests, which would then often end last. It is told to stop once it runs
        # the last of them: a pytest-xdist process runs a test only when it knows the next
        # one, or that there is none.
        if list(servers.values()).count(False) <= 1 and not node.shutting_down:
            node.shutdown()


class XdistHooks:
    """The hook that pytest-xdist asks for its scheduler (registered only where it runs)."""

    def pytest_xdist_make_scheduler(
        self, config: pytest.Config, log: Any
    ) -> LoadScopeScheduling | None:
        if config.getvalue("dist") != "loadfile":
            return None  # another way of distributing tests was asked for
        return UnitScheduling(config, log)


@pytest.hookimpl(trylast=True)  # after -k and -m deselected what they do
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    units = {item.nodeid: unit_of(item.nodeid) for item in items}
    sizes = Counter(units.values())
    end_to_end = {units[item.nodeid] for item in items if item.get_closest_marker("e2e")}

    def order(item: pytest.Item) -> tuple[int, int, str]:
        unit = units[item.nodeid]
        band = 0 if unit == SERVERS else 1 if unit in end_to_end else 2
        return band, -sizes[unit], unit

    items.sort(key=order)  # stable: the tests of a file keep their order
    global _yield_to_servers
    _yield_to_servers = bool(os.environ.get("PYTEST_XDIST_WORKER")) and SERVERS in sizes


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item) -> None:
    """In a pytest-xdist process given another unit, yield the CPU to the servers' unit.

    Runs before the first test's set-up, so the test Prefect server that the session's
    first fixture starts is as nice as the process that starts it.
    """
    global _yield_to_servers
    if _yield_to_servers:
        _yield_to_servers = False
        if unit_of(item.nodeid) != SERVERS:
            os.nice(OTHERS_NICENESS)
