"""Imports every models module, so Base.metadata holds the whole schema.

Alembic, the web app and the worker import it: the outbox refers to grievances by foreign key, and a
process that never imported intake.models could not flush an outbox row.
"""

from core import audit, directory_version, outbox, throttle  # noqa: F401
from core.db import Base
from dashboards import models as dashboard_models  # noqa: F401
from directory import models as directory_models  # noqa: F401
from escalation import models as escalation_models  # noqa: F401
from intake import models  # noqa: F401
from routing import models as routing_models  # noqa: F401
from surveys import models as survey_models  # noqa: F401

metadata = Base.metadata
