"""deploy/kubernetes/ against Kubernetes' schemas (kubernetes-validate, offline, strict), against
itself (selectors, ports, references) and against the code: what scripts/processes.py starts and
gives each process, the secrets connectors/required_secrets.py and the config files name, and
what the Dockerfiles build. Each check also runs on a broken copy, to show it can fail."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml

from connectors.required_secrets import PROCESS_SECRETS, generated_secrets
from scripts.processes import commands
from scripts.processes import environment as make_run_environment
from tests.deploy import manifests as m

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = ROOT / "deploy" / "kubernetes"
DOCKER = ROOT / "deploy" / "docker"
# The oldest Kubernetes the manifests claim (docs/kubernetes.md) and the newest the pinned
# kubernetes-validate bundles.
KUBERNETES_VERSIONS = ("1.30.0", "1.37.0")
# Each process's component label, as scripts/processes.py names the process.
COMPONENTS = {"gateway": "gateway", "rasa": "rasa", "actions": "actions", "sandbox": "sandbox"}
# The processes every variable of make run's environment (scripts/processes.py) is given to.
HAMYAR_PROCESSES = ("gateway", "rasa", "actions")
# Who reads each secret shared by Hamyar's own processes (docs/configuration.md, "used by").
PROCESS_SECRET_READERS = {
    "RASA_CHANNEL_TOKEN": ("gateway", "rasa"),
    "RASA_API_TOKEN": ("rasa",),
    "ACTION_SERVER_TOKEN": ("rasa", "actions"),
    "REDIS_PASSWORD": ("gateway", "rasa", "actions"),
    "WEB_SESSION_SECRET": ("gateway",),
    "HAMYAR_DATA_KEY": ("gateway", "rasa", "actions"),
    "SANDBOX_CONTROL_TOKEN": ("sandbox",),
    "HAMYAR_ADMIN_TOKEN": ("gateway",),
}
PLACEHOLDERS = ("", "CHANGE_ME")
# Addresses make run gives that the cluster leaves empty on purpose, and why.
LEFT_EMPTY = {"ACTIONS_URL": "only Rasa may reach the action servers (network-policies.yaml); Kubernetes probes them"}
_VARIABLE = re.compile(r"\$\{(\w+)")
# The desk's database (desk/db.py): PostgreSQL's port, and the command that migrates it.
DATABASE_PORT = 5432
MIGRATE = ["python", "-m", "desk.db", "upgrade"]
# Every messenger on, so that every webhook secret the configuration can ask for is listed.
ALL_MESSENGERS_ON = {name: "set" for name in ("TELEGRAM_TOKEN", "BALE_TOKEN", "SPLUS_TOKEN", "RUBIKA_TOKEN")}


def variables(path: Path) -> set[str]:
    """The environment variables a config file reads (``${NAME}``, ``${NAME:-default}``)."""
    return set(_VARIABLE.findall(path.read_text(encoding="utf-8")))


def secret_like(name: str) -> bool:
    return name.endswith(("_TOKEN", "_SECRET", "_PASSWORD", "_KEY"))


def ports(resources: list[m.Resource]) -> dict[str, int]:
    """Each process's port: its Service's."""
    return {process: m.service_port(resources, f"hamyar-{component}", "http") or 0 for process, component in COMPONENTS.items()}


def resolved(env: dict[str, m.EnvVar], resources: list[m.Resource], value: str) -> str:
    """A value with its $(NAME) references filled in, as the kubelet does."""
    values = dict(m.env_values(resources, env))
    return re.sub(r"\$\((\w+)\)", lambda match: values.get(match.group(1), match.group(0)), value)


def settings_problems(resources: list[m.Resource]) -> list[str]:
    """Every variable make run gives the processes is given to each in the cluster, and those by
    which a process reaches another name a Service and its port."""
    problems = []
    loopback = make_run_environment({name: 1 for name in COMPONENTS}, "redis://:p@127.0.0.1:6379/0")
    for process in HAMYAR_PROCESSES:
        env = m.workload_env(resources, COMPONENTS[process])
        for name, local in loopback.items():
            if name not in env:
                problems.append(f"{process}: {name} is not set")
                continue
            value = resolved(env, resources, dict(m.env_values(resources, env)).get(name, ""))
            if name in LEFT_EMPTY:
                problems += [f"{process}: {name} is not empty, but {LEFT_EMPTY[name]}"] if value else []
            elif urlparse(local).hostname in ("127.0.0.1", "localhost"):
                problems += [f"{process}: {problem}" for problem in m.service_url_problems(resources, name, value)]
    return problems


def secret_problems(resources: list[m.Resource]) -> list[str]:
    problems = []
    secret = m.config_data(resources, "Secret", "hamyar-secrets") or {}
    envs = {process: m.workload_env(resources, component) for process, component in COMPONENTS.items()}

    def needs(process: str, name: str, why: str, required: bool = False) -> None:
        var = envs[process].get(name)
        if var is None or var.source != "secret":
            problems.append(f"{process}: {name} ({why}) is not read from a Secret")
        elif required and var.optional:
            problems.append(f"{process}: {name} ({why}) is optional: the process would start without it")

    for name in sorted({s.name for s in generated_secrets(ALL_MESSENGERS_ON)} - set(secret)):
        problems.append(f"hamyar-secrets: no {name}, which connectors/required_secrets.py names")
    generated = {s.name for s in generated_secrets({})}
    read: set[str] = set()
    for process, env in envs.items():
        for var in env.values():
            if var.source == "secret":
                read.add(var.key)
                if not var.optional and var.key not in generated:
                    problems.append(f"{process}: {var.name} is required, but `required_secrets --env-file` does not write it")
    problems += [f"hamyar-secrets: {key} is read by no process" for key in sorted(set(secret) - read)]
    problems += [
        f"hamyar-secrets: {key} holds a value, not a placeholder" for key, value in secret.items() if value not in PLACEHOLDERS
    ]
    for secret_ in PROCESS_SECRETS:
        for process in PROCESS_SECRET_READERS.get(secret_.name, ()):
            needs(process, secret_.name, "a process secret", required=True)
    for name in variables(ROOT / "endpoints.yml") | variables(ROOT / "credentials.yml"):
        if name not in envs["rasa"]:
            problems.append(f"rasa: {name} (endpoints.yml / credentials.yml) is not set")
    for name in filter(secret_like, variables(ROOT / "config" / "channels.yml")):
        needs("gateway", name, "config/channels.yml")
    agencies = yaml.safe_load((ROOT / "config" / "agencies.yml").read_text(encoding="utf-8"))
    for entry in [agencies.get("identity") or {}, agencies.get("sms") or {}, *(agencies.get("agencies") or ())]:
        for name in variables_of(entry.get("token")):
            needs("actions", name, "config/agencies.yml")
        for name in variables_of(entry.get("callback_secret")):
            needs("gateway", name, "config/agencies.yml")
    for path in (ROOT / "sandbox" / "data").glob("*.yml"):
        for name in re.findall(r"token_env:\s*(\w+)", path.read_text(encoding="utf-8")):
            needs("sandbox", name, str(path.relative_to(ROOT)))
    for configmap in m.of_kind(resources, "ConfigMap"):
        for key in configmap.get("data") or {}:
            if secret_like(key) or key in secret:
                problems.append(f"ConfigMap {configmap['metadata']['name']}: {key} is a secret")
    return problems


def variables_of(field: object) -> list[str]:
    return _VARIABLE.findall(str(field or ""))


def command_problems(resources: list[m.Resource]) -> list[str]:
    """Each container runs scripts/processes.py's command for its process, on its Service's port,
    listening on the pod's address rather than loopback."""
    problems = []
    expected = commands(ports(resources), app_python="python", rasa_python="python")
    for process, component in COMPONENTS.items():
        workloads = [
            w for w in m.of_kind(resources, *m.WORKLOADS) if m.pod_labels(w).get("app.kubernetes.io/component") == component
        ]
        if not workloads:
            problems.append(f"{process}: no workload")
            continue
        container = m.containers(workloads[0])[0]
        given = [str(part) for part in container.get("command") or ()]
        if without_host(given) != without_host(expected[process]):
            problems.append(f"{process}: runs {given}, scripts/processes.py starts {expected[process]}")
        # Rasa and the sandbox take the address as an option, the others from <PROCESS>_HOST.
        options = [given[i + 1] for i, part in enumerate(given[:-1]) if part in ("-i", "--host")]
        values = dict(m.env_values(resources, m.environment(resources, container)))
        host = options[0] if options else values.get(f"{process.upper()}_HOST", "127.0.0.1")
        if host in ("127.0.0.1", "localhost"):
            problems.append(f"{process}: listens on {host}, which no other pod reaches")
    return problems


def without_host(command: list[str]) -> list[str]:
    """A command without the address it listens on (``-i``, ``--host``)."""
    kept, skip = [], False
    for part in command:
        if skip:
            skip = False
        elif part in ("-i", "--host"):
            skip = True
        else:
            kept.append(part)
    return kept


def ingress_problems(resources: list[m.Resource]) -> list[str]:
    public = (m.config_data(resources, "ConfigMap", "hamyar-config") or {}).get("PUBLIC_URL", "")
    hosts = {rule.get("host") for ingress in m.of_kind(resources, "Ingress") for rule in ingress["spec"]["rules"]}
    tls = {
        host
        for ingress in m.of_kind(resources, "Ingress")
        for entry in ingress["spec"].get("tls") or ()
        for host in entry["hosts"]
    }
    host = urlparse(public).hostname
    return (
        []
        if host in hosts and host in tls and public.startswith("https://")
        else [f"PUBLIC_URL {public} is not the Ingress's TLS host {sorted(hosts)}"]
    )


def database_problems(resources: list[m.Resource]) -> list[str]:
    """The gateway reads DATABASE_URL from hamyar-secrets; an init container of its pods runs the
    migration with its image and the same settings; its pods may reach PostgreSQL's port."""
    gateways = [w for w in m.of_kind(resources, *m.WORKLOADS) if m.pod_labels(w).get("app.kubernetes.io/component") == "gateway"]
    if not gateways:
        return ["gateway: no workload"]
    workload = gateways[0]
    gateway = m.containers(workload)[0]
    env = m.environment(resources, gateway)
    url = env.get("DATABASE_URL")
    problems = []
    if url is None or (url.source, url.ref, url.key) != ("secret", "hamyar-secrets", "DATABASE_URL"):
        problems.append(f"gateway: DATABASE_URL is not read from hamyar-secrets ({url})")
    migrations = [c for c in m.init_containers(workload) if [str(part) for part in c.get("command") or ()] == MIGRATE]
    if not migrations:
        problems.append(f"gateway: no init container runs {' '.join(MIGRATE)}")
    for init in migrations:
        if init.get("image") != gateway.get("image"):
            problems.append(
                f"gateway: the init container {init['name']} runs {init.get('image')}, the gateway {gateway.get('image')}"
            )
        if init.get("envFrom") != gateway.get("envFrom"):
            problems.append(f"gateway: the init container {init['name']} has other settings (envFrom) than the gateway")
        for name, var in m.environment(resources, init).items():
            if env.get(name) != var:
                problems.append(f"gateway: the init container {init['name']} has {name} other than the gateway's")
        if "DATABASE_URL" not in m.environment(resources, init):
            problems.append(f"gateway: the init container {init['name']} has no DATABASE_URL")
    if not m.egress_allows(resources, m.pod_labels(workload), DATABASE_PORT):
        problems.append(f"gateway: a NetworkPolicy stops its pods reaching the database's port {DATABASE_PORT}")
    return problems


def everything(resources: list[m.Resource]) -> list[str]:
    return [
        *m.check_selectors(resources),
        *m.check_references(resources),
        *m.check_containers(resources),
        *settings_problems(resources),
        *secret_problems(resources),
        *command_problems(resources),
        *ingress_problems(resources),
        *database_problems(resources),
    ]


def validate(root: Path, version: str) -> subprocess.CompletedProcess[str]:
    files = sorted(str(path) for path in root.rglob("*.yaml"))
    return subprocess.run(
        [sys.executable, "-m", "kubernetes_validate", "--strict", "-k", version, *files],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_manifest_is_valid_kubernetes(version: str) -> None:
    result = validate(MANIFESTS, version)
    # A kind it has no schema for is only a warning to the tool: here it is a failure.
    assert result.returncode == 0 and "WARN" not in result.stdout, result.stdout + result.stderr
    assert result.stdout.count(" passed for resource ") == len(m.load(MANIFESTS))


def test_manifests_agree_with_themselves_and_the_code() -> None:
    assert everything(m.load(MANIFESTS)) == []


def test_images_are_what_the_dockerfiles_build() -> None:
    resources = m.load(MANIFESTS)
    for workload in m.of_kind(resources, "Deployment"):
        component = m.pod_labels(workload)["app.kubernetes.io/component"]
        image = m.containers(workload)[0]["image"]
        assert image.rsplit(":", 1)[0].endswith("/rasa" if component == "rasa" else "/app"), (component, image)
    app, rasa = ((DOCKER / f"{env}.Dockerfile").read_text(encoding="utf-8") for env in ("app", "rasa"))
    assert "requirements/app.lock" in app and "requirements/rasa.lock" in rasa
    # Every package of the repository but those only tests, benchmarks, make and Rasa use.
    packages = {path.parent.name for path in ROOT.glob("*/__init__.py")} - {"tests", "bench", "scripts", "bot"}
    assert {name for name in packages if f"COPY {name}/ {name}/" not in app} == set()
    assert {name for name in ("agencies", "bot", "nlu", "config") if f"COPY {name}/ {name}/" not in rasa} == set()
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    assert {".env", ".venvs/", ".run/"} <= set(ignored)


def test_no_real_secret_and_no_secret_outside_the_secret() -> None:
    resources = m.load(MANIFESTS)
    assert [p for p in secret_problems(resources) if "placeholder" in p or "is a secret" in p] == []


def test_every_config_key_is_a_documented_setting() -> None:
    documented = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    keys = m.config_data(m.load(MANIFESTS), "ConfigMap", "hamyar-config") or {}
    assert [key for key in keys if f"`{key}`" not in documented] == []


# (file, text, replaced by, a problem reported then): each check on a broken copy.
BREAKAGES = [
    (
        "rasa.yaml",
        "  selector:\n    app.kubernetes.io/name: hamyar\n    app.kubernetes.io/component: rasa",
        "  selector:\n    app.kubernetes.io/name: hamyar\n    app.kubernetes.io/component: rassa",
        "Service hamyar-rasa: its selector matches no",
    ),
    (
        "secrets.yaml",
        "  ACTION_SERVER_TOKEN: CHANGE_ME  # Rasa -> action server\n",
        "",
        "reads hamyar-secrets/ACTION_SERVER_TOKEN, which the manifests do not have",
    ),
    (
        "config.yaml",
        "http://hamyar-rasa:5005",
        "http://hamyar-rasa:5006",
        "RASA_URL=http://hamyar-rasa:5006: Service hamyar-rasa has no port 5006",
    ),
    ("rasa.yaml", '- -p\n            - "5005"', '- -p\n            - "5006"', "rasa: runs"),
    ("config.yaml", 'ACTIONS_HOST: "0.0.0.0"', 'ACTIONS_HOST: "127.0.0.1"', "actions: listens on 127.0.0.1"),
    ("secrets.yaml", "RASA_API_TOKEN: CHANGE_ME", "RASA_API_TOKEN: s3cr3t-s3cr3t-s3cr3t", "RASA_API_TOKEN holds a value"),
    ("config.yaml", '  TICKET_LOCK_LIFETIME: "10"\n', "", "rasa: TICKET_LOCK_LIFETIME is not set"),
    (
        "gateway.yaml",
        "key: WEB_SESSION_SECRET}",
        "key: WEB_SESSION_SECRET, optional: true}",
        "WEB_SESSION_SECRET (a process secret) is optional",
    ),
    (
        "actions.yaml",
        "path: /health\n              port: http",
        "path: /health\n              port: 5056",
        "readinessProbe on port 5056",
    ),
    (
        "gateway.yaml",
        "secretKeyRef: {name: hamyar-secrets, key: DATABASE_URL, optional: true}\n          # 76",
        "secretKeyRef: {name: hamyar-secrets, key: DATABASE_URL, optional: true}\n            - {name: DATABASE_URL, value: x}\n          # 76",
        "the init container migrate has DATABASE_URL other than the gateway's",
    ),
    (
        "gateway.yaml",
        'image: registry.example.org/hamyar/app:v1\n          command: ["python", "-m", "desk.db", "upgrade"]',
        'image: registry.example.org/hamyar/app:v0\n          command: ["python", "-m", "desk.db", "upgrade"]',
        "the init container migrate runs registry.example.org/hamyar/app:v0",
    ),
    ("gateway.yaml", '"desk.db", "upgrade"]', '"desk.db", "upgrad"]', "no init container runs python -m desk.db upgrade"),
    (
        "gateway.yaml",
        "key: DATABASE_URL, optional: true}\n            # Watched",
        'key: DATABASE_URL, optional: true}\n            - {name: DATABASE_URL, value: "postgresql+asyncpg://db/hamyar"}\n            # Watched',
        "gateway: DATABASE_URL is not read from hamyar-secrets",
    ),
    (
        "gateway.yaml",
        "              memory: 192Mi\n          securityContext:\n            allowPrivilegeEscalation: false",
        "              memory: 192Mi\n          securityContext:\n            allowPrivilegeEscalation: true",
        "hamyar-gateway/migrate: privilege escalation allowed",
    ),
    (
        "network-policies.yaml",
        'policyTypes: ["Ingress"]',
        'policyTypes: ["Ingress", "Egress"]',
        "reaching the database's port 5432",
    ),
]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{path.name} no longer has {old!r}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(("file", "old", "new", "reported"), BREAKAGES)
def test_each_check_catches_a_broken_copy(tmp_path: Path, file: str, old: str, new: str, reported: str) -> None:
    copy = tmp_path / "kubernetes"
    shutil.copytree(MANIFESTS, copy)
    edit(copy / "hamyar" / file, old, new)
    problems = everything(m.load(copy))
    assert any(reported in problem for problem in problems), problems


def test_the_validator_refuses_an_unknown_field(tmp_path: Path) -> None:
    copy = tmp_path / "kubernetes"
    shutil.copytree(MANIFESTS, copy)
    edit(copy / "hamyar" / "gateway.yaml", "  revisionHistoryLimit: 5", "  revisionHistoryLimt: 5")
    result = validate(copy, KUBERNETES_VERSIONS[0])
    assert result.returncode != 0 and "revisionHistoryLimt" in result.stdout
