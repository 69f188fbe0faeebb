"""Accounts: users, passwords, second factor, login throttling and sessions."""
