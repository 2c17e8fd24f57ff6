"""The Django proxy: users, sessions and CSRF in front of the agent service (see README)."""
