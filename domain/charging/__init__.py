"""EV charging sessions pushed over OCPI 2.2.1 and 2.3.0 (the eMSP receiver, and the CPO sender's
charging preferences).  The rules and their ids: ``RULES.md``.

Reading order: ``vocabulary`` (enums, versions), ``datetimes`` and ``fields`` (OCPI's basic types),
``values`` (the typed, version-neutral session and its stored form), ``validation`` (wire -> values,
per version), ``rendering`` (stored -> wire, per version), ``errors``, ``identity`` (aggregate id,
party rules), ``session`` (the aggregate and its invariants), then ``application`` (the commands).
"""
