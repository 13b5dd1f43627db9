"""The audit log: every write through an API is recorded with who made it, in the write's own transaction."""

import uuid

import pytest

from tests.integration.test_sales_access import _sale, network  # noqa: F401  (fixtures)


@pytest.fixture
def app(make_app):
    return make_app("sales")


def test_a_write_is_audited_with_its_key_and_role_and_a_refused_one_is_not(app, network, token_for):  # noqa: F811
    client = app.test_client()
    clerk = {"Authorization": f"Bearer {token_for('clerk', 'sales', selling_place_id=network['a'], key_id='till-key-1')}"}
    assert client.post("/receipts", json=_sale(network), headers=clerk).status_code == 201
    bad = _sale(network, payment_method="barter")
    assert client.post("/receipts", json=bad, headers=clerk).status_code == 422
    client.get("/receipts", headers=clerk)  # reads are not audited
    entries = client.get("/audit").get_json()
    assert [(e["key_id"], e["role"], e["method"], e["path"]) for e in entries] == [("till-key-1", "clerk", "POST", "/receipts")]
    assert len(entries[0]["trace_id"]) == 32


def test_only_administrators_read_the_audit_log(app, token_for):
    clerk = {"Authorization": f"Bearer {token_for('clerk', 'sales', selling_place_id=str(uuid.uuid4()))}"}
    assert app.test_client().get("/audit", headers=clerk).status_code == 403
    assert app.test_client().get("/audit").status_code == 200
