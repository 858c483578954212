"""The music application's commands, one module per topic, mixed into ``MusicSessions`` (``application``)."""
