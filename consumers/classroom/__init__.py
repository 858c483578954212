"""The classroom's consumers: presence webhooks -> attendance commands (``presence``), and the sender
of due live session reminders (``notifications``)."""
