"""Fixtures of the callback tests: the receiver app, plain and signing, and what it emitted.

The plain receiver confirms each callback with a query: `kling` answers those queries.
"""

from __future__ import annotations

import pytest

from prefect_kling.callbacks import create_receiver_app
from tests.callbacks.hooks import SECRET, TOKEN, ScriptedKling, asgi_client


@pytest.fixture
def received():
    return []


@pytest.fixture
def kling():
    return ScriptedKling()


@pytest.fixture
async def client(received, kling):
    app = create_receiver_app(
        TOKEN,
        confirm=kling,
        emit=lambda task, source, endpoint: received.append((task.task_id, task.status, source)),
    )
    async with asgi_client(app) as test_client:
        yield test_client


@pytest.fixture
async def signed_client(received):
    app = create_receiver_app(
        TOKEN,
        signing_secret=SECRET,
        emit=lambda task, source, endpoint: received.append(task.status),
    )
    async with asgi_client(app) as test_client:
        yield test_client
