"""The deadlines as an iCalendar document (RFC 5545), written by the `icalendar` library.

One all-day event per deadline, on its day in the agency's zone (the deadline is the end of that day, written in the
description with its zone). The event's UID is stable per case, cycle and deadline (app/season/deadlines.py), so a
calendar program moves the event when a deadline is extended instead of adding a second one; DTSTAMP and
LAST-MODIFIED are the case's last change, so the same data gives the same bytes (and the same ETag). An event names
the case by its number, its agency and the kind of deadline, with a link to the case page; nothing about the
reported person or the reporter.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import timedelta

from flask import current_app
from flask_babel import gettext
from icalendar import Calendar, Event

from app.i18n import format_instant
from app.season.deadlines import Deadline

PRODID = "-//Tindak//Kalender tenggat//ID"
REFRESH = timedelta(hours=1)


def case_link(case_id: int) -> str:
    return f"{str(current_app.config.get('BASE_URL', '')).rstrip('/')}/cases/{case_id}"


def fingerprint(deadlines: Sequence[Deadline], locale: str) -> str:
    """A digest of everything the document is written from: its ETag, known before the document is written."""
    digest = hashlib.sha256(f"{locale}|{current_app.config.get('BASE_URL', '')}".encode())
    for d in deadlines:
        digest.update(
            f"|{d.uid}|{d.day.isoformat()}|{d.due_at.isoformat()}|{d.stamp.isoformat()}|{d.case_number}|"
            f"{d.agency_name}|{d.timezone}|{d.rung_label}".encode()
        )
    return digest.hexdigest()[:32]


def calendar_document(deadlines: Sequence[Deadline], *, calendar_name: str, locale: str) -> bytes:
    """The feed's bytes: a VCALENDAR of one VEVENT per deadline, texts in `locale`."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", calendar_name)
    calendar.add("x-wr-caldesc", gettext("Tenggat perkara yang dapat Anda lihat di Tindak"))
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", REFRESH)
    for deadline in deadlines:
        calendar.add_component(_event(deadline, locale))
    return bytes(calendar.to_ical())


def _event(deadline: Deadline, locale: str) -> Event:
    link = case_link(deadline.case_id)
    event = Event()
    event.add("uid", deadline.uid)
    event.add("dtstamp", deadline.stamp)
    event.add("last-modified", deadline.stamp)
    event.add("dtstart", deadline.day)
    event.add("dtend", deadline.day + timedelta(days=1))
    event.add("summary", f"{deadline.title} · {deadline.case_number}")
    event.add(
        "description",
        "\n".join(
            (
                f"{gettext('Perkara')}: {deadline.case_number}",
                f"{gettext('Instansi')}: {deadline.agency_name}",
                f"{deadline.title}: {format_instant(deadline.due_at, deadline.timezone, locale=locale)}",
                link,
            )
        ),
    )
    event.add("url", link)
    event.add("categories", ["Tindak"])
    event.add("transp", "TRANSPARENT")
    event.add("class", "PRIVATE")
    return event
