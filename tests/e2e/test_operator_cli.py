"""The operator's one command, `sp`, against a running network."""

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

SP = str(Path(sys.executable).with_name("sp"))


def _sp(network, *args, check=True) -> subprocess.CompletedProcess:
    env = {
        **network.env,
        "SP_API_KEY": network.bootstrap_admin(),
        **{f"SP_{service.upper()}_URL": network.url(service) for service in network.settings.ports},
    }
    result = subprocess.run([SP, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=180)
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_a_village_is_onboarded_from_a_template_in_one_command_and_again_changes_nothing(network):
    template = ROOT / "deploy" / "templates" / "village.json"
    first = _sp(network, "village", "onboard", str(template))
    assert "village Civo (014022): created" in first.stdout
    ids = json.loads(first.stdout[first.stdout.index("{") :])
    place, product = ids["selling_place_ids"][0], ids["product_ids"]["Miele millefiori 500 g"]

    stock = network.get("inventory", f"/selling-places/{place}/stock/{product}").json()
    assert (stock["reorder_threshold"], stock["target_level"]) == ("4.000", "16.000")
    assert network.get("inventory", f"/selling-places/{place}").json()["commission_rate"] == "15.00"
    preferences = network.get("notifications", f"/selling-places/{place}/preferences").json()
    assert preferences["contacts"]["email"] == "bottega@civo.example"

    again = _sp(network, "village", "onboard", str(template))
    assert "created" not in again.stdout.replace("already there", "")
    assert json.loads(again.stdout[again.stdout.index("{") :]) == ids


def test_the_bus_the_databases_keys_and_reports_from_one_command(network):
    status = _sp(network, "bus", "status")
    assert status.stdout.count("outbox:") == 5 and "dead letters: 0" in status.stdout
    assert _sp(network, "bus", "dead-letters", "sales").stdout == ""
    assert "inventory: migrated" in _sp(network, "migrate").stdout
    assert _sp(network, "keys", "create-admin", "--label", "second").stdout.startswith("sp_")
    _sp(network, "reports", "rebuild")
    assert _sp(network, "--help").stdout.count("  ") > 5
    refused = _sp(network, "village", "onboard", "/no/such/file.json", check=False)
    assert refused.returncode == 2 and "does not exist" in refused.stderr
