"""Public accountability (issue 24): the enforcement record for anyone, at `/publik` and `/api/v1/public/`, counted
from precomputed aggregates, with small counts suppressed so that none can be worked out (docs/public-figures.md)."""
