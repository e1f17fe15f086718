"""The factory, configuration, migrations and the basic API contract."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from app import create_app
from app.core.clock import utcnow
from app.db import database_only_indexes_unread, db, include_schema_object
from app.models.agencies import Agency
from config import DEV_SECRET_KEY, ConfigError, load_config

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def test_create_app_applies_overrides_last(app_overrides):
    app = create_app({**app_overrides, "FOLLOW_UP_WORKING_DAYS": 21, "BASE_URL": "https://x.example/"})
    assert app.config["FOLLOW_UP_WORKING_DAYS"] == 21
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith(("sqlite", "postgresql+psycopg"))


def test_default_database_is_sqlite_in_instance():
    config = load_config({})
    assert config["DATABASE_URL"].startswith("sqlite:///")
    assert config["DATABASE_URL"].endswith("instance/tindak.db")


def test_environment_is_read_at_call_time():
    assert load_config({"FOLLOW_UP_WORKING_DAYS": "10"})["FOLLOW_UP_WORKING_DAYS"] == 10
    assert load_config({"ESCALATION_RECIPIENTS_BKN": "a@b.id, c@d.id"})["ESCALATION_RECIPIENTS_BKN"] == [
        "a@b.id",
        "c@d.id",
    ]


def test_production_refuses_development_secret_key():
    with pytest.raises(ConfigError):
        create_app({"TINDAK_ENV": "production", "SECRET_KEY": DEV_SECRET_KEY})
    with pytest.raises(ConfigError, match="AUDIT_CHAIN_KEYS"):  # nor without a key for the history chain
        create_app({"TINDAK_ENV": "production", "SECRET_KEY": "x" * 40, "DATABASE_URL": "sqlite://"})
    production = {"TINDAK_ENV": "production", "SECRET_KEY": "x" * 40, "DATABASE_URL": "sqlite://"}
    app = create_app({**production, "AUDIT_CHAIN_KEYS": "k1:" + "y" * 40})
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_postgres_urls_use_psycopg3(app_overrides):
    app = create_app({**app_overrides, "DATABASE_URL": "postgres://u@h/db"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize(("value", "threshold"), [(None, 5), ("0", None), ("1", 5)])
def test_prepared_statements_can_be_turned_off_for_poolers(app_overrides, value, threshold):
    env = {} if value is None else {"DATABASE_PREPARED_STATEMENTS": value}
    prepared = load_config(env)["DATABASE_PREPARED_STATEMENTS"]
    assert prepared is (threshold is not None)
    app = create_app({**app_overrides, "DATABASE_PREPARED_STATEMENTS": prepared})
    with app.app_context():
        options = app.config["SQLALCHEMY_ENGINE_OPTIONS"]
        if db.engine.dialect.name != "postgresql":
            assert "connect_args" not in options  # SQLite: nothing to prepare on a server
            return
        with db.engine.connect() as connection:
            assert connection.connection.dbapi_connection.prepare_threshold == threshold
        db.engine.dispose()


def test_migrations_have_a_single_head():
    config = AlembicConfig(str(MIGRATIONS / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS))
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_migrated_schema_matches_the_models():
    """The migrations build exactly the models' schema: autogenerate finds nothing to do (with the project's
    settings, which leave out the indexes a migration creates that the models cannot describe, `database_only_index`;
    tests/workflows/test_search.py and tests/intake/test_duplicate_check_indexes.py check those)."""
    with db.engine.connect() as conn, database_only_indexes_unread():
        opts = {"compare_type": True, "render_as_batch": True, "include_object": include_schema_object}
        context = MigrationContext.configure(conn, opts=opts)
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_timestamps_are_aware_utc_and_evaluated_per_row(make_agency):
    first = make_agency()
    second = make_agency()
    db.session.expire_all()
    a = db.session.get(Agency, first.id)
    b = db.session.get(Agency, second.id)
    assert a.created_at.tzinfo is not None and a.created_at.utcoffset() == timedelta(0)
    assert a.created_at <= b.created_at
    assert abs(utcnow() - a.created_at) < timedelta(minutes=1)


def test_naive_datetimes_are_refused(make_agency):
    agency = make_agency()
    agency.created_at = datetime(2026, 1, 1)  # noqa: DTZ001 - the point of the test
    with pytest.raises(Exception, match="naive"):
        db.session.commit()
    db.session.rollback()
    agency = db.session.get(Agency, agency.id)
    agency.created_at = datetime(2026, 1, 1, tzinfo=UTC)
    db.session.commit()


def test_token_and_agencies_api(client, make_user, make_agency, api):
    admin = make_user("admin")
    investigator = make_user("investigator")
    make_agency(code="KEMENAG", name="Kementerian Agama", kind="kementerian")
    make_agency(code="P-BALI", name="Provinsi Bali", kind="provinsi", timezone="Asia/Makassar")

    listing = api(investigator).get("/api/v1/agencies?kind=provinsi")
    assert listing.status_code == 200
    body = listing.get_json()
    assert [a["code"] for a in body["items"]] == ["P-BALI"]
    assert body["items"][0]["routed_to"] == "kemendagri"
    assert body["next_cursor"] is None

    created = api(admin).post(
        "/api/v1/agencies",
        json={"code": "BKN", "name": "Badan Kepegawaian Negara", "kind": "lembaga", "ppk_email": "ppk@bkn.go.id"},
    )
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["routed_to"] == "menpanrb"
    agency_id = created.get_json()["id"]
    assert api(investigator).get(f"/api/v1/agencies/{agency_id}").get_json()["code"] == "BKN"

    refused = api(investigator).post("/api/v1/agencies", json={"code": "X", "name": "Xx", "kind": "lembaga"})
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "forbidden"

    bad = api(admin).post("/api/v1/agencies", json={"code": "Y", "name": "Yy", "kind": "desa"})
    assert bad.status_code == 422
    assert "kind" in bad.get_json()["error"]["details"]["fields"]


def test_agency_pagination_walks_every_row(make_user, make_agency, api):
    user = make_user("investigator")
    codes = {make_agency().code for _ in range(7)}
    seen: list[str] = []
    cursor = None
    while True:
        url = "/api/v1/agencies?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = api(user).get(url).get_json()
        seen += [a["code"] for a in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(codes)


def test_api_errors_are_json(client, make_user, api):
    assert client.get("/api/v1/agencies").get_json()["error"]["code"] == "unauthorized"
    user = make_user("investigator")
    missing = api(user).get("/api/v1/agencies/999999")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"
    nowhere = api(user).get("/api/v1/nothing-here")
    assert nowhere.status_code == 404 and nowhere.is_json
    wrong_method = client.delete("/api/v1/auth/token")
    assert wrong_method.status_code == 405 and wrong_method.get_json()["error"]["code"] == "method_not_allowed"
    malformed = client.post("/api/v1/auth/token", data="{not json", content_type="application/json")
    assert malformed.status_code in (400, 422) and malformed.is_json
    bad_cursor = api(user).get("/api/v1/agencies?cursor=%%%")
    assert bad_cursor.status_code == 422 and bad_cursor.is_json


def test_wrong_password_is_refused_and_counted(client, make_user):
    user = make_user("investigator")
    response = client.post("/api/v1/auth/token", json={"email": user.email, "password": "salah-sekali-123"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "invalid_credentials"
    db.session.expire_all()
    assert db.session.get(type(user), user.id).failed_logins == 1


def test_openapi_document_is_served(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/agencies" in spec["paths"]


def test_readable_api_page_lists_every_path(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for path in spec["paths"]:
        assert path in text
    assert "cdn" not in text.lower()


def test_rate_limit_is_per_app(app, app_overrides, client, make_user, monkeypatch):
    """Building another app with limits on must not switch them on for the app under test."""
    # The per-address block of failed sign-ins (in the database, on in every app) is not what is looked at here.
    monkeypatch.setitem(app.config, "LOGIN_IP_MAX_FAILURES", 1000)
    limited = create_app({**app_overrides, "RATELIMIT_ENABLED": True})
    user = make_user("investigator")
    for _ in range(25):
        response = client.post("/api/v1/auth/token", json={"email": user.email, "password": "salah-salah-123"})
        assert response.status_code == 401
    limited_client = limited.test_client()
    codes = []
    with limited.app_context():
        for _ in range(22):
            codes.append(
                limited_client.post("/api/v1/auth/token", json={"email": "x@y.id", "password": "z"}).status_code
            )
    assert 429 in codes
