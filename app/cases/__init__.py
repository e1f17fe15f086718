"""Cases: the reported violation, its recommendation, follow-up, evidence and history."""
