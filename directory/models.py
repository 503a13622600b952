"""The directory's versions: each applied change stores the whole directory as its file, so any version can
be downloaded, compared or loaded again.

Not to be confused with `core.directory_version`, the one-row token that tells caches the directory changed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base


class DirectoryVersion(Base):
    __tablename__ = "directory_versions"

    id: Mapped[int] = mapped_column(primary_key=True)  # the version number
    created_at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(100))  # a staff username, or "cli:<system user>"
    source: Mapped[str] = mapped_column(String(200))  # "file directory.toml", "admin page: office RV-N"
    summary: Mapped[str] = mapped_column(String(500))  # "2 added, 1 changed, 1 retired"
    document: Mapped[str] = mapped_column(Text)  # the whole directory as TOML, as `directory export` writes it
