"""``run_ahead``: a step's generator goes on in a thread while Dagster stores its events."""

import threading

import pytest

from assets.common import run_ahead


def test_yields_everything_in_order():
    assert list(run_ahead(i for i in range(100))) == list(range(100))


def test_the_next_item_is_made_while_the_last_one_is_handled():
    second_made = threading.Event()

    def events():
        yield "first"
        second_made.set()
        yield "second"

    ahead = run_ahead(events())
    assert next(ahead) == "first"
    # The consumer has not asked for the second item yet, and it is made all the same.
    assert second_made.wait(timeout=10)
    assert list(ahead) == ["second"]


def test_an_error_is_raised_in_the_step_after_what_came_before():
    def events():
        yield 1
        raise ValueError("kapot")

    ahead = run_ahead(events())
    assert next(ahead) == 1
    with pytest.raises(ValueError, match="kapot"):
        next(ahead)


def test_a_step_that_stops_listening_stops_the_generator():
    closed = threading.Event()
    release = threading.Event()
    made: list[int] = []

    def events():
        try:
            yield -1
            release.wait(timeout=10)
            for i in range(2_000_000):  # would take a good while to run out by itself
                made.append(i)
                yield i
        finally:
            closed.set()

    ahead = run_ahead(events())
    assert next(ahead) == -1
    release.set()
    ahead.close()  # what Dagster does when the step fails elsewhere
    assert closed.is_set()
    assert len(made) < 1_000_000  # stopped at a yield, not run to the end
