"""The people tests use the page helpers of tests/web (a signed-in client per user)."""

from tests.web.conftest import pages_for

__all__ = ["pages_for"]
