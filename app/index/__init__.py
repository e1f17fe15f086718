"""The NKK Maturity Index (IM-NKK): enforcement from cases, self-assessment for the rest."""
