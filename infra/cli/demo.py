"""``sessionstream demo``: placeholder replaced below."""
