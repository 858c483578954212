"""The music context's workers: ``inbound_tunelog`` (``inbound.tunelog.v1`` -> tune-log commands, with
``tunelog_commands`` turning one request into one command and one outcome) and ``clock`` (auto-create
then the active window, on the spec's cron schedule)."""
