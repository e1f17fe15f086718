"""What the bell tells a signed-in person (notices written by app/audit/notices.py with each case event): the
list page, the API under /api/v1/me/notifications, and the daily email that batches what is still unread."""
