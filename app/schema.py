"""Imports every models module, so Base.metadata holds the whole schema (for Alembic and tests)."""

from core import outbox  # noqa: F401
from core.db import Base
from intake import models  # noqa: F401

metadata = Base.metadata
