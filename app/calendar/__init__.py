"""Working-day calendar: weekends, national holidays, cuti bersama, admin overrides, agency time zones."""
