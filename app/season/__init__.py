"""See the season: a dashboard per role (figures from the database's aggregates, drawn as SVG), a calendar of the
deadlines a user may see, and that calendar as a secret iCalendar feed per user (app/season/feeds.py)."""
