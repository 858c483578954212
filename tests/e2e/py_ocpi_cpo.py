"""A CPO built on ``extrawest-ocpi`` (import name ``py_ocpi``), run by that library's own interpreter
(``tests/e2e/test_charging_py_ocpi.py`` installs it in a virtual environment of its own: it pins
pydantic 1 and FastAPI 0.101, which cannot share ours).

It pushes one session with the library's own push function, unchanged: ``push_object`` discovers our
receiver through ``/ocpi/2.2.1/details`` and PUTs to the URL it builds from the RECEIVER endpoint.
Usage: ``python py_ocpi_cpo.py <details URL> <token> <session JSON>``; prints the push response as JSON.
Its party comes from the library's settings (``COUNTRY_CODE``, ``PARTY_ID`` in the environment).
"""

import asyncio
import json
import sys

from py_ocpi.core.adapter import BaseAdapter
from py_ocpi.core.crud import Crud
from py_ocpi.core.enums import ModuleID
from py_ocpi.core.push import push_object
from py_ocpi.core.schemas import Push, Receiver
from py_ocpi.modules.versions.enums import VersionNumber


def main() -> None:
    details_url, token, session_text = sys.argv[1:4]
    stored = json.loads(session_text)

    class CpoStore(Crud):
        """The CPO's own store: it holds the one session to push."""

        @classmethod
        async def get(cls, module, role, id, *args, **kwargs):  # noqa: A002 - py_ocpi's signature
            return stored

    push = Push(
        module_id=ModuleID.sessions,
        object_id=stored["id"],
        receivers=[Receiver(endpoints_url=details_url, auth_token=token)],
    )
    result = asyncio.run(push_object(VersionNumber.v_2_2_1, push, CpoStore, BaseAdapter))
    print(json.dumps(result.dict()))


if __name__ == "__main__":
    main()
