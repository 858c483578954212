"""The ``sessionstream`` command: one module per command group."""
