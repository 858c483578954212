"""The public message contract, versioned per topic.  Additive changes only within a ``vN``."""
