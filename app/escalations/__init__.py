"""The escalation ladder and the sweep that climbs it."""
