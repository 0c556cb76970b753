"""Request and response schemas of the native API, separate from the tables.

Families follow one naming: ``XCreate`` / ``XUpdate`` come in, ``XPublic`` goes out, and a
page of them is ``XsPublic`` with ``data`` and ``next_cursor``. Routes import this package
as ``schemas`` and reach every family through it.
"""

from rma.api.schemas.base import *  # noqa: F403
from rma.api.schemas.events import *  # noqa: F403
from rma.api.schemas.intake import *  # noqa: F403
from rma.api.schemas.money import *  # noqa: F403
from rma.api.schemas.orders import *  # noqa: F403
from rma.api.schemas.physical import *  # noqa: F403
from rma.api.schemas.returns import *  # noqa: F403
from rma.api.schemas.setup import *  # noqa: F403
from rma.api.schemas.storefront import *  # noqa: F403
from rma.api.schemas.stores import *  # noqa: F403
