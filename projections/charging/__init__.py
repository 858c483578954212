"""The charging read models: ``sessions`` (``charging_sessions``) and ``location_energy``."""
