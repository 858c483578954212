"""The HTTP API: commands go to the domain application, queries read the read models.

Reading order: ``app`` (assembly), ``problems`` (every error is an RFC 9457 document), ``auth`` (bearer
tokens and roles), ``instants`` (how time crosses the wire), ``context`` (what every router shares:
the container, read-model access, waiting for a version), then one router per resource
(``events``, ``sessions``, ``registrations``) and ``health`` (liveness, readiness, metrics).

Routers stay thin: they validate the request, call one command or query, and shape the answer.  The
rules live in ``domain``; the figures that depend on "now" are computed here, when a request is served.
"""
