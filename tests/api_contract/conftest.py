"""The quality suite's world (an agency's cast, cases in a few states, a bearer token per role)."""

from tests.quality.conftest import world  # noqa: F401
