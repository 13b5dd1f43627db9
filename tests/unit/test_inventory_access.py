"""The scope rules of inventory that need no database: which village a write is for."""

import uuid

import pytest

from backbone.auth import Principal
from services.inventory import access

DAZIO, MORBEGNO = uuid.uuid4(), uuid.uuid4()
OPERATOR = Principal(key_id="k", role="village_operator", village_id=DAZIO)


def test_a_village_operators_write_is_for_their_own_village():
    left_out = {"home_village_id": None}
    access.own_village(OPERATOR, left_out, "home_village_id")
    assert left_out == {"home_village_id": DAZIO}  # from the token
    with pytest.raises(access.Forbidden):
        access.own_village(OPERATOR, {"home_village_id": MORBEGNO}, "home_village_id")
    partial = {"lead_time_days": 4}
    access.own_village(OPERATOR, partial, "home_village_id")
    assert partial == {"lead_time_days": 4}  # a change that does not name the village keeps it


def test_an_administrator_names_any_village():
    body = {"village_id": MORBEGNO}
    access.own_village(Principal(key_id="k", role="administrator"), body, "village_id")
    assert body == {"village_id": MORBEGNO}


def test_only_administrators_and_village_operators_have_an_import_scope():
    assert access.scope_village(Principal(key_id="k", role="administrator")) is None
    assert access.scope_village(OPERATOR) == DAZIO
    with pytest.raises(access.Forbidden):
        access.scope_village(Principal(key_id="k", role="manager", selling_place_id=uuid.uuid4()))
