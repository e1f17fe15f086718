"""Shared vocabulary and helpers used by every domain module."""
