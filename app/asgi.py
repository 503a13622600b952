"""ASGI entry for multi-process serving (`redress serve --workers N`): settings from the environment.

Jobs do not run here; run `redress worker` beside it, so N web processes do not run N schedulers.
"""

from app.main import create_app
from core.settings import Settings

app = create_app(Settings())
