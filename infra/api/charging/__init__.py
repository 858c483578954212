"""HTTP routers of the charging context (``ROUTERS``, in the order they are mounted): OCPI version
discovery, the eMSP receiver and the CPO sender (``ocpi`` holds what they share), the ``/ocpi/*``
fallback, and the dashboard reads."""

from __future__ import annotations

from infra.api.charging import dashboard, fallback, receiver, sender, versions

ROUTERS = (versions.router, receiver.router, sender.router, fallback.router, dashboard.router)
