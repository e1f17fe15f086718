"""Agencies (instansi) whose PPK receives recommendations, with kind, time zone and escalation routing."""
