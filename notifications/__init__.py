"""Notifications: the transactional outbox, email rendering and the dispatcher."""
