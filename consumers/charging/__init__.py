"""The charging context's consumers: the inbound OCPI sessions topic (``inbound``)."""
