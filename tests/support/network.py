"""The whole network as real processes, for end-to-end tests: start, stop, kill any one of them."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import requests

from deploy.network import SERVICES, Settings, environment, free_port, process_commands
from tests.support import wait_for


class Network:
    """Every process of `process_commands`, each startable and stoppable on its own."""

    def __init__(self, settings: Settings, log_dir: Path):
        self.settings = settings
        self.log_dir = log_dir
        self.commands = process_commands(settings)
        self.env = environment(settings)
        self.processes: dict[str, subprocess.Popen] = {}
        self.http = requests.Session()
        self.admin_key: str | None = None
        self._tokens: dict[str, str] = {}

    @classmethod
    def build(
        cls,
        *,
        redis_url: str,
        database_urls: dict[str, str],
        prefix: str,
        tmp_path: Path,
        signing_key: str,
        **settings,
    ) -> "Network":
        service_settings = {
            "CONSUMER_BLOCK_MS": "200",
            "CONSUMER_CLAIM_IDLE_MS": "2000",
            "CONSUMER_CLAIM_EVERY_SECONDS": "0.5",
            "RELAY_IDLE_SECONDS": "0.02",
            "RECOMPUTE_EVERY_SECONDS": "2",
            "SWEEP_EVERY_SECONDS": "2",
            "SWEEP_AFTER_SECONDS": "5",
            "SEND_TIMEOUT_SECONDS": "3",
            **settings.pop("service_settings", {}),
        }
        return cls(
            Settings(
                redis_url=redis_url,
                database_urls=database_urls,
                var_dir=tmp_path / "var",
                prefix=prefix,
                ports={service: free_port() for service in SERVICES},
                split_bus=True,
                log_level="INFO",
                signing_key=signing_key,
                service_settings=service_settings,
                **settings,
            ),
            tmp_path / "logs",
        )

    def url(self, service: str) -> str:
        return self.settings.url(service)

    # -- processes ------------------------------------------------------------------------------

    def start(self, *names: str, env: dict[str, str] | None = None) -> None:
        """Start the named processes (all if none), each with the network's environment plus `env`."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.settings.var_dir.mkdir(parents=True, exist_ok=True)
        for name in names or self.commands:
            if name in self.processes and self.processes[name].poll() is None:
                continue
            log = open(self.log_dir / f"{name}.log", "ab")
            self.processes[name] = subprocess.Popen(
                self.commands[name],
                env={**self.env, **(env or {})},
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=Path(__file__).parents[2],
            )
            log.close()

    def stop(self, name: str, *, sig: int = signal.SIGTERM, timeout: float = 20.0) -> None:
        process = self.processes.get(name)
        if process is None or process.poll() is not None:
            return
        process.send_signal(sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def kill(self, name: str) -> None:
        self.stop(name, sig=signal.SIGKILL)

    def close(self) -> None:
        for name in list(self.processes):
            process = self.processes[name]
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.http.close()

    def wait_ready(self, timeout: float = 180.0) -> None:
        for service in SERVICES:
            wait_for(
                lambda service=service: self._ready(service), timeout=timeout, interval=0.2, message=f"{service} to be ready"
            )
        for name, process in self.processes.items():
            assert process.poll() is None, f"{name} exited early:\n{self.log_tail(name)}"

    def bootstrap_admin(self) -> str:
        """Create the network's first administrator key, as an operator would (once)."""
        if self.admin_key is None:
            result = subprocess.run(
                [sys.executable, "-m", "flask", "--app", "services.identity.app", "keys", "create-admin"],
                env=self.env,
                capture_output=True,
                text=True,
                check=True,
                cwd=Path(__file__).parents[2],
            )
            self.admin_key = result.stdout.strip()
        return self.admin_key

    def token(self, service: str, api_key: str | None = None) -> str:
        """A token for `service`, for the administrator unless another API key is given."""
        cache_key = f"{service}:{api_key}"
        if cache_key not in self._tokens:
            response = self.http.post(
                f"{self.url('identity')}/auth/token",
                json={"api_key": api_key or self.bootstrap_admin(), "audience": service},
                timeout=10,
            )
            assert response.status_code == 200, response.text
            self._tokens[cache_key] = response.json()["access_token"]
        return self._tokens[cache_key]

    def _ready(self, service: str) -> bool:
        try:
            return self.http.get(f"{self.url(service)}/health/ready", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def log_tail(self, name: str, lines: int = 40) -> str:
        path = self.log_dir / f"{name}.log"
        if not path.exists():
            return "(no log)"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def logs(self) -> str:
        return "\n".join(f"===== {name} =====\n{self.log_tail(name)}" for name in self.commands)

    # -- HTTP -----------------------------------------------------------------------------------

    def request(self, method: str, service: str, path: str, *, api_key: str | None = None, **kwargs) -> requests.Response:
        """Call a service as the administrator (or as the holder of `api_key`)."""
        headers = {"Authorization": f"Bearer {self.token(service, api_key)}", **kwargs.pop("headers", {})}
        return self.http.request(method, f"{self.url(service)}{path}", headers=headers, timeout=10, **kwargs)

    def get(self, service: str, path: str, **kwargs) -> requests.Response:
        return self.request("GET", service, path, **kwargs)

    def post(self, service: str, path: str, json=None, **kwargs) -> requests.Response:
        return self.request("POST", service, path, json=json, **kwargs)

    def put(self, service: str, path: str, json=None, **kwargs) -> requests.Response:
        return self.request("PUT", service, path, json=json, **kwargs)
