"""People: a civil servant\x27s record across agencies, the check before a promotion, the national register."""
