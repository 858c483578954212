"""Event-session read models: events, seats, dates, registrations, attendance, mail schedules."""
