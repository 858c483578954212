"""HTTP routers of the event-sessions context."""
