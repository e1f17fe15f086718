"""Users, roles, passwords, API tokens and login protection."""
