"""Event sessions: the inbound registrations handler and the auto-end job."""
