"""No API key or token ever appears in a log line, whatever happens to it."""

from tests.e2e.flows import issue_key, register_shop, sell


def test_keys_and_tokens_never_reach_the_logs(make_network, capfd):
    network = make_network()
    network.start()
    network.wait_ready()
    admin_key = network.bootstrap_admin()
    shop = register_shop(network)
    clerk_key = issue_key(network, "clerk", selling_place_id=shop["place"]["id"])
    sell(network, shop)
    secrets = {admin_key, clerk_key, admin_key.split(".")[1], clerk_key.split(".")[1]}
    secrets |= set(network._tokens.values())

    # a key and tokens used wrongly: a tampered token, a wrong secret, a revoked key, a wrong audience
    token = network.token("sales", clerk_key)
    secrets.add(token)
    tampered = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    secrets.add(tampered)
    assert (
        network.http.get(
            f"{network.url('sales')}/receipts", headers={"Authorization": f"Bearer {tampered}"}, timeout=10
        ).status_code
        == 401
    )
    wrong = clerk_key.split(".")[0] + ".not-the-secret-at-all"
    secrets.add(wrong)
    refused = network.http.post(f"{network.url('identity')}/auth/token", json={"api_key": wrong, "audience": "sales"}, timeout=10)
    assert refused.status_code == 401
    key_id = clerk_key.removeprefix("sp_").split(".")[0]
    assert network.post("identity", f"/keys/{key_id}/revoke").status_code == 200
    revoked = network.http.post(
        f"{network.url('identity')}/auth/token", json={"api_key": clerk_key, "audience": "sales"}, timeout=10
    )
    assert revoked.status_code == 401
    for_inventory = network.token("inventory")
    assert (
        network.http.get(
            f"{network.url('sales')}/receipts", headers={"Authorization": f"Bearer {for_inventory}"}, timeout=10
        ).status_code
        == 401
    )

    network.close()  # every process flushed its log
    logs = {path.name: path.read_text(errors="replace") for path in network.log_dir.glob("*.log")}
    logs["this test"] = "".join(capfd.readouterr())
    assert len(logs) > 10
    leaks = [(name, secret[:12] + "…") for name, text in logs.items() for secret in secrets if secret and secret in text]
    assert leaks == []
