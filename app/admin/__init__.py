"""Administration pages: agencies, users, escalation mailboxes, calendar overrides, authorities, outbox."""
