#!/usr/bin/env python3
"""docker-compose.yml, validated without a Docker engine.

`docker-compose config` (Debian's docker-compose package, which needs no engine for this)
checks the file against the Compose schema and prints it resolved; the assertions below
check what the README promises about it. Python because docker-compose is Python and
brings PyYAML with it.
Usage: compose_config_test.py [DOCKER_COMPOSE]
"""
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
failures = []


def check(condition, message):
    if not condition:
        failures.append(message)


def compose(binary, args, api_key):
    env = {k: v for k, v in os.environ.items() if k != "ANTHROPIC_API_KEY"}
    if api_key is not None:
        env["ANTHROPIC_API_KEY"] = api_key
    # An empty --env-file: a developer's .env next to the compose file must not change the
    # result.
    with tempfile.NamedTemporaryFile(suffix=".env") as no_env:
        result = subprocess.run(
            [binary, "--file", str(COMPOSE_FILE), "--project-directory", str(ROOT),
             "--env-file", no_env.name, *args],
            env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(f"FAIL: docker-compose {' '.join(args)} exited {result.returncode}:\n"
                 f"{result.stderr}")
    return result.stdout


def resolved(binary, api_key):
    compose(binary, ["config", "--quiet"], api_key)
    return yaml.safe_load(compose(binary, ["config"], api_key))


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else shutil.which("docker-compose")
    if not binary:
        sys.exit("FAIL: docker-compose is not installed (scripts/install-deps.sh --test "
                 "installs it from scripts/debian-test-packages.txt)")

    config = resolved(binary, api_key=None)
    # docker-compose 1.29 prints services of every profile; those are not started by `up`.
    services = {name: service for name, service in config.get("services", {}).items()
                if not service.get("profiles")}
    check(set(services) == {"gateway", "llm-service"},
          f"services are {sorted(services)}, expected gateway and llm-service (Prometheus "
          "only with --profile observability)")
    gateway = services.get("gateway", {})
    llm = services.get("llm-service", {})

    for name, service in (("gateway", gateway), ("llm-service", llm)):
        build = service.get("build", {})
        check(pathlib.Path(build.get("context", "")) == ROOT,
              f"{name}: the build context is not the repository root")
        dockerfile = ROOT / build.get("dockerfile", "")
        check(build.get("dockerfile") == f"{name}/Dockerfile" and dockerfile.is_file(),
              f"{name}: builds from {build.get('dockerfile')!r}, expected {name}/Dockerfile")
        check(service.get("restart") == "unless-stopped", f"{name}: no restart: unless-stopped")
        check("command" not in service and "entrypoint" not in service,
              f"{name}: configured through a command line; only environment variables")

    # Published on the host's loopback only: the compose file opts out of auth and TLS, which
    # is safe only while nobody else can reach the port.
    ports = gateway.get("ports", [])
    check(ports in (["127.0.0.1:3000:3000/tcp"], ["127.0.0.1:3000:3000"])
          or [(p.get("host_ip"), str(p.get("published")), p.get("target")) for p in ports
              if isinstance(p, dict)] == [("127.0.0.1", "3000", 3000)],
          f"gateway: published ports are {ports}, expected 127.0.0.1:3000:3000")
    environment = gateway.get("environment", {})
    check(environment.get("GATEWAY_ALLOW_UNAUTHENTICATED") == "true"
          and environment.get("GATEWAY_ALLOW_PLAINTEXT") == "true",
          "gateway: binds 0.0.0.0 in its container without auth and TLS, so the file must say "
          "GATEWAY_ALLOW_UNAUTHENTICATED and GATEWAY_ALLOW_PLAINTEXT (the gateway refuses to "
          "start otherwise)")
    check(not llm.get("ports"), "llm-service is published; it must not be by default")
    check(gateway.get("environment", {}).get("GATEWAY_BIND") == "0.0.0.0",
          "gateway: GATEWAY_BIND is not 0.0.0.0")
    check(gateway.get("environment", {}).get("GATEWAY_LLM_SERVICE") == "llm-service:50051",
          "gateway: GATEWAY_LLM_SERVICE is not llm-service:50051")
    check(llm.get("environment", {}).get("LLM_SERVICE_BIND") == "0.0.0.0",
          "llm-service: LLM_SERVICE_BIND is not 0.0.0.0")
    check(gateway.get("depends_on", {}).get("llm-service", {}).get("condition")
          == "service_healthy",
          "gateway: does not wait for llm-service with condition: service_healthy")
    # Empty (the mock) when unset, passed through when set; never in the gateway.
    check(llm.get("environment", {}).get("ANTHROPIC_API_KEY") == "",
          "llm-service: ANTHROPIC_API_KEY is not empty when unset in the environment")
    check("ANTHROPIC_API_KEY" not in gateway.get("environment", {}),
          "gateway: must not see ANTHROPIC_API_KEY")

    # Sessions survive a container restart: the store is on a named volume.
    check(environment.get("GATEWAY_STORE") == "sqlite:/var/lib/streamgate/gateway.db",
          "gateway: GATEWAY_STORE is not sqlite:/var/lib/streamgate/gateway.db")
    mounts = [(v.get("source"), v.get("target")) if isinstance(v, dict)
              else tuple(v.split(":")[:2]) for v in gateway.get("volumes", [])]
    check(any(target == "/var/lib/streamgate" and source and source.endswith("gateway-state")
              for source, target in mounts),
          f"gateway: /var/lib/streamgate is not the gateway-state volume (mounts: {mounts})")
    check("gateway-state" in config.get("volumes", {}), "no top-level gateway-state volume")
    dockerfile = (ROOT / "gateway/Dockerfile").read_text()
    check("VOLUME /var/lib/streamgate" in dockerfile
          and "install -d -o 10001 -g 10001" in dockerfile,
          "gateway/Dockerfile: /var/lib/streamgate is not a volume owned by the service user")

    # The observability profile: Prometheus with the checked-in config and alert rules, the
    # metrics port of llm-service reachable inside the network and published nowhere.
    observed = yaml.safe_load(compose(binary, ["--profile", "observability", "config"], None))
    prometheus = observed.get("services", {}).get("prometheus", {})
    check(bool(prometheus), "no prometheus service under --profile observability")
    prom_mounts = {}
    for volume in prometheus.get("volumes", []):
        if isinstance(volume, dict):
            prom_mounts[volume.get("target")] = volume.get("source")
        else:
            source, target = volume.split(":")[:2]
            prom_mounts[target] = source
    check(prometheus.get("profiles") == ["observability"],
          "prometheus: not limited to the observability profile")
    for target, source in (("/etc/prometheus/prometheus.yml", "deploy/prometheus/prometheus.yml"),
                           ("/etc/prometheus/alerts.yml", "deploy/prometheus/alerts.yml")):
        check(str(prom_mounts.get(target, "")).endswith(source),
              f"prometheus: {target} is not mounted from {source} (mounts: {prom_mounts})")
    check(llm.get("environment", {}).get("LLM_SERVICE_METRICS_PORT") == "9464"
          and "9464" in [str(p) for p in llm.get("expose", [])],
          "llm-service: the metrics port 9464 is not set and exposed")
    scrape = yaml.safe_load((ROOT / "deploy/prometheus/prometheus.yml").read_text())
    targets = {job["job_name"]: job["static_configs"][0]["targets"]
               for job in scrape["scrape_configs"]}
    check(targets == {"streamgate-gateway": ["gateway:3000"],
                      "streamgate-llm-service": ["llm-service:9464"]},
          f"deploy/prometheus/prometheus.yml scrapes {targets}")

    with_key = resolved(binary, api_key="sk-test-not-a-real-key")
    check(with_key["services"]["llm-service"].get("environment", {}).get("ANTHROPIC_API_KEY")
          == "sk-test-not-a-real-key",
          "llm-service: ANTHROPIC_API_KEY from the environment is not passed through")

    # Secrets at rest: the README tells users to put ANTHROPIC_API_KEY in .env; neither git
    # nor a Docker build context may take it (nor the override file, nor mounted secrets).
    for name in (".env", "docker-compose.override.yml", "secrets/key.pem"):
        ignored = subprocess.run(["git", "-C", str(ROOT), "check-ignore", "-q", "--no-index", name],
                                 check=False).returncode == 0
        check(ignored, f".gitignore does not ignore {name}")
    dockerignore = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()]
    for pattern in (".env", "docker-compose.override.yml", "secrets"):
        check(pattern in dockerignore, f".dockerignore does not list {pattern}")

    if failures:
        for failure in failures:
            print(f"FAIL: {failure}", file=sys.stderr)
        sys.exit(1)
    print("docker-compose.yml: valid, and as documented")


if __name__ == "__main__":
    main()
