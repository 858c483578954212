"""Event sessions (OCA ``event_session``): parent events, their dated sessions, registrations.

Reading order: ``seats`` (the seat ledger and the spec's C1/C2 checks), ``errors``, ``parent_event``,
``session``, ``registration``, then ``application`` (the commands, with their retry on conflicts).
"""
