"""Generated case histories for end-to-end tests, old enough that every deadline in them
passed long ago: the live pipeline and `casewatch evaluate` then agree at any later
instant, with no timer due during the test."""

from datetime import UTC, datetime, timedelta

from cli.lifecycles import generate_events

#: Generated lifecycles span under 18 months; starting 900 days back leaves their last
#: deadline about a year in the past.
AGE = timedelta(days=900)


def past_events(n: int, seed: int) -> list[dict]:
    return list(generate_events(n, seed=seed, start=datetime.now(UTC) - AGE))
