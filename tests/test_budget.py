import doctest
import threading

import pytest

import prefect_kling.budget as budget_module
from prefect_kling.budget import UnitBudget
from prefect_kling.exceptions import KlingBudgetExceeded


def test_the_module_examples_run():
    assert doctest.testmod(budget_module, optionflags=doctest.ELLIPSIS).failed == 0


@pytest.mark.parametrize(
    ("endpoint", "request_fields", "units"),
    [
        # kling-v1 and kling-v1-6 are not on Kling's price page: the dearest silent rate of
        # the page, 0.6 units/s at 720p (std), 0.8 at 1080p (pro), per second.
        ("text2video", {}, 3.0),
        ("text2video", {"mode": "pro"}, 4.0),
        ("image2video", {"mode": "std", "duration": "10"}, 6.0),
        ("multi-image2video", {"mode": "pro", "duration": 10}, 8.0),
        ("image2video", {"model_name": "kling-v2-6", "mode": "pro", "sound": "on"}, 5.0),
        ("multi-image2image", {"n": 4}, 64.0),  # 16 units per image
        ("some-new-endpoint", {}, 1.0),
    ],
)
def test_estimates(endpoint: str, request_fields: dict, units: float):
    assert UnitBudget().estimate(endpoint, request_fields) == units


SIMPLE = {
    "text2video": lambda request: (
        (3.5 if request.get("mode") == "pro" else 1.0)
        * (2 if request.get("duration") == "10" else 1)
    )
}
"""Round estimates, so that these tests are about the accounting, not about prices."""


def test_units_in_flight_count_until_settled_with_what_kling_charged():
    budget = UnitBudget(max_units=3, estimates=SIMPLE)
    first = budget.reserve("text2video", {})
    second = budget.reserve("text2video", {})
    assert (budget.charged, budget.in_flight) == (0, 2)
    with pytest.raises(KlingBudgetExceeded) as refused:
        budget.reserve("text2video", {"mode": "pro"})
    assert str(refused.value) == (
        "not creating text2video: 0 units charged + 2 in flight + 3.5 estimated would pass "
        "the budget of 3 units"
    )
    budget.settle(first, charged=0.0)  # a failed task is not charged
    budget.settle(second, charged=None)  # unknown: the estimate counts
    assert (budget.charged, budget.in_flight) == (1, 0)
    budget.reserve("text2video", {"duration": "10"})
    with pytest.raises(KlingBudgetExceeded):
        budget.reserve("text2video", {})


def test_a_released_ticket_costs_nothing():
    budget = UnitBudget(max_units=1, estimates=SIMPLE)
    ticket = budget.reserve("text2video", {})
    budget.release(ticket)
    budget.release(ticket)  # twice is harmless
    assert (budget.charged, budget.in_flight) == (0, 0)
    budget.reserve("text2video", {})


def test_without_a_ceiling_everything_is_counted_and_nothing_refused():
    budget = UnitBudget(estimates=SIMPLE)
    for _ in range(10):
        budget.settle(budget.reserve("text2video", {"mode": "pro"}), charged=None)
    assert budget.charged == 35


def test_estimates_can_be_replaced():
    budget = UnitBudget(max_units=10, estimates={"text2video": lambda request: 6.0})
    budget.reserve("text2video", {})
    with pytest.raises(KlingBudgetExceeded):
        budget.reserve("text2video", {})


def test_concurrent_reservations_never_pass_the_ceiling():
    budget = UnitBudget(max_units=5, estimates=SIMPLE)
    granted: list[int] = []
    refused: list[KlingBudgetExceeded] = []
    start = threading.Barrier(20)

    def reserve() -> None:
        start.wait()
        try:
            granted.append(budget.reserve("text2video", {}))
        except KlingBudgetExceeded as error:
            refused.append(error)

    threads = [threading.Thread(target=reserve) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert (len(granted), len(refused)) == (5, 15)
    assert budget.in_flight == 5
