"""Test fixtures: a migrated database (SQLite, or PostgreSQL when REDRESS_TEST_DATABASE_URL is set),
one outer transaction per test with savepoints inside, and the app wired to that transaction."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from app import migrate
from app.demo import DIRECTORY
from app.main import create_app
from app.routing_model import DEMO_CORPUS
from classifier.data import read_labelled
from classifier.training import train
from core.db import make_engine, transaction
from core.settings import Settings
from directory.services import load_file
from routing import registry
from routing.registry import Classifiers
from tests.databases import throwaway_database

PG_URL = os.environ.get("REDRESS_TEST_DATABASE_URL")
START = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)  # a Monday morning


class FakeClock:
    """The app's one clock, moved by tests."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture(scope="session")
def new_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[callable]:
    """A factory of empty databases of the kind under test, removed at the end."""
    droppers = []

    def make() -> str:
        if PG_URL:
            url, drop = throwaway_database(PG_URL)
            droppers.append(drop)
            return url
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'redress.db'}"

    yield make
    for drop in droppers:
        drop()


@pytest.fixture(scope="session")
def database_url(new_database_url: callable) -> str:
    return new_database_url()


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    """Migrated to head with the demo directory (without staff, whose password hashing is slow) committed."""
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    with transaction(sessionmaker(bind=engine)) as session:
        load_file(session, path=DIRECTORY, actor="test", now=START)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    connection = engine.connect()
    outer = connection.begin()
    yield connection
    outer.rollback()
    connection.close()


@pytest.fixture
def session_factory(connection: Connection) -> sessionmaker[Session]:
    """Sessions whose commits are savepoints inside the test's outer transaction."""
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


@pytest.fixture
def session(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    with session_factory() as session:
        yield session


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(_env_file=None, database_url=database_url, scheduler_enabled=False, default_region="NP",
                    timezone="Asia/Kathmandu", languages=["en", "ne"])


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app(settings: Settings, engine: Engine, session_factory: sessionmaker[Session], clock: FakeClock):
    return create_app(settings, engine=engine, session_factory=session_factory, clock=clock)


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


@pytest.fixture
def browser(app) -> Iterator[TestClient]:
    """A client over https, as browsers must be for the staff pages' __Host- cookies; redirects not followed."""
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        yield client


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def demo_model_dir(tmp_path_factory):
    """The routing model trained once from the demo corpus shipped with the app."""
    directory = tmp_path_factory.mktemp("routing-models") / "demo"
    train(read_labelled(DEMO_CORPUS), directory, now=START, source="demo_corpus.csv")
    return directory


@pytest.fixture
def model(session, demo_model_dir, clock):
    """The demo model registered and active inside this test's transaction."""
    registry.register(session, path=demo_model_dir, now=clock.now, actor="test")
    version = registry.versions(session)[0].version
    registry.promote(session, version=version, now=clock.now, actor="test", reason="test")
    active = Classifiers().active(session)
    assert active is not None and active.version == version
    return active
