"""A database is opened only with the keyed-hash secret its person keys were made with."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from creditfarm.identity import hash_key, key_check
from creditfarm.workspace import Workspace, WorkspaceError, open_workspace


def test_key_check_is_an_hmac_of_a_fixed_text():
    assert key_check("k1") == hash_key("creditfarm key check v1", "k1")[:16]
    assert key_check("k1") != key_check("k2") and len(key_check("k1")) == 16


def test_another_secret_is_refused(ws: Workspace):
    with ws.engine.connect() as conn:
        recorded = conn.execute(text("SELECT key_check FROM workspacebinding")).scalar()
    assert recorded == key_check("test-secret")  # the fixture's secret, recorded at creation
    other = ws.settings.model_copy(update={"secret_key": "another-secret"})
    with pytest.raises(WorkspaceError, match="密钥与建库时不同"):
        open_workspace(other)
    again = open_workspace(ws.settings)  # the original key still opens it
    assert again.id == ws.id
    again.engine.dispose()


def test_a_database_from_before_the_check_records_it_on_first_open(ws: Workspace):
    with ws.engine.begin() as conn:
        conn.execute(text("UPDATE workspacebinding SET key_check = NULL"))
    reopened = open_workspace(ws.settings)
    with reopened.engine.connect() as conn:
        assert conn.execute(text("SELECT key_check FROM workspacebinding")).scalar() == key_check(
            "test-secret"
        )
    reopened.engine.dispose()
