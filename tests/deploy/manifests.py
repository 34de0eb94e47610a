"""What deploy/kubernetes/ must agree on with itself and with the code, as a list of problems.

Each ``check_*`` takes the manifests (every ``*.yaml`` under a directory, all of them applied to
one namespace) and returns readable problems, empty when all is well; tests/deploy runs them on
the repository's manifests and on broken copies, to show that each can fail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Optional
from urllib.parse import urlparse

import yaml

Resource = dict[str, Any]
WORKLOADS = ("Deployment", "StatefulSet")
# A URL a process reaches another by, in make run's environment (scripts/processes.py).
_LOOPBACK = ("127.0.0.1", "localhost")
_REFERENCE = re.compile(r"\$\((\w+)\)")


def load(root: Path) -> list[Resource]:
    """Every resource of every ``*.yaml`` file under ``root``, in file order."""
    resources: list[Resource] = []
    for path in sorted(root.rglob("*.yaml")):
        resources.extend(doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc)
    return resources


def of_kind(resources: Iterable[Resource], *kinds: str) -> list[Resource]:
    return [r for r in resources if r.get("kind") in kinds]


def named(resources: Iterable[Resource], kind: str, name: str) -> Optional[Resource]:
    return next((r for r in resources if r.get("kind") == kind and r["metadata"]["name"] == name), None)


def pod_labels(workload: Resource) -> dict[str, str]:
    return workload["spec"]["template"]["metadata"].get("labels") or {}


def containers(workload: Resource) -> list[dict[str, Any]]:
    return workload["spec"]["template"]["spec"]["containers"]


def init_containers(workload: Resource) -> list[dict[str, Any]]:
    return workload["spec"]["template"]["spec"].get("initContainers") or []


def selects(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """Whether a label selector (plain, or with matchLabels / matchExpressions) matches labels."""
    if "matchLabels" not in selector and "matchExpressions" not in selector:
        selector = {"matchLabels": selector}
    if any(labels.get(key) != value for key, value in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in selector.get("matchExpressions") or ():
        value, operator = labels.get(expression["key"]), expression["operator"]
        wanted = expression.get("values") or []
        if (
            (operator == "In" and value not in wanted)
            or (operator == "NotIn" and value in wanted)
            or (operator == "Exists" and value is None)
            or (operator == "DoesNotExist" and value is not None)
        ):
            return False
    return True


def selected(resources: list[Resource], selector: Mapping[str, Any]) -> list[Resource]:
    """The workloads whose pods the selector matches."""
    return [w for w in of_kind(resources, *WORKLOADS) if selects(selector, pod_labels(w))]


def container_ports(workload: Resource) -> dict[object, int]:
    """A workload's ports, by name and by number."""
    ports: dict[object, int] = {}
    for container in containers(workload):
        for port in container.get("ports") or ():
            ports[port["containerPort"]] = port["containerPort"]
            if "name" in port:
                ports[port["name"]] = port["containerPort"]
    return ports


def service_port(resources: list[Resource], service: str, port: object) -> Optional[int]:
    """The number of a Service's port given by name or number, or None when it has no such port."""
    found = named(resources, "Service", service)
    for entry in (found or {}).get("spec", {}).get("ports") or ():
        if port in (entry.get("name"), entry["port"]):
            return int(entry["port"])
    return None


def config_data(resources: list[Resource], kind: str, name: str) -> Optional[dict[str, str]]:
    """The keys and values of a ConfigMap or Secret (``data`` and ``stringData``)."""
    found = named(resources, kind, name)
    if found is None:
        return None
    return {**(found.get("data") or {}), **(found.get("stringData") or {})}


@dataclass(frozen=True)
class EnvVar:
    name: str
    # "value", "configmap" or "secret"
    source: str
    value: str = ""
    ref: str = ""  # the ConfigMap or Secret
    key: str = ""
    optional: bool = False


def environment(resources: list[Resource], container: Mapping[str, Any]) -> dict[str, EnvVar]:
    """What a container's process finds in its environment, by name: envFrom first, as the kubelet
    builds it, then env."""
    found: dict[str, EnvVar] = {}
    for source in container.get("envFrom") or ():
        for kind, field in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
            if field in source:
                name = source[field]["name"]
                for key in config_data(resources, kind, name) or {}:
                    found[key] = EnvVar(key, kind.lower(), ref=name, key=key)
    for entry in container.get("env") or ():
        name, value_from = entry["name"], entry.get("valueFrom") or {}
        for kind, field in (("configmap", "configMapKeyRef"), ("secret", "secretKeyRef")):
            if field in value_from:
                ref = value_from[field]
                found[name] = EnvVar(name, kind, ref=ref["name"], key=ref["key"], optional=bool(ref.get("optional")))
        if "value" in entry:
            found[name] = EnvVar(name, "value", value=str(entry["value"]))
    return found


def workload_env(resources: list[Resource], component: str) -> dict[str, EnvVar]:
    """The environment of a component's (``app.kubernetes.io/component``) first container."""
    for workload in of_kind(resources, *WORKLOADS):
        if pod_labels(workload).get("app.kubernetes.io/component") == component:
            return environment(resources, containers(workload)[0])
    return {}


def check_selectors(resources: list[Resource]) -> list[str]:
    """Every Service, PodDisruptionBudget and NetworkPolicy selects some workload's pods; a
    Service's target ports exist on them."""
    problems = []
    for service in of_kind(resources, "Service"):
        name, spec = service["metadata"]["name"], service["spec"]
        targets = selected(resources, spec.get("selector") or {"matchLabels": {"": "no selector"}})
        if not targets:
            problems.append(f"Service {name}: its selector matches no Deployment or StatefulSet")
        for port in spec.get("ports") or ():
            target = port.get("targetPort", port["port"])
            if targets and not any(target in container_ports(w) for w in targets):
                problems.append(f"Service {name}: targetPort {target} is not a port of its pods")
    for budget in of_kind(resources, "PodDisruptionBudget"):
        if not selected(resources, budget["spec"]["selector"]):
            problems.append(f"PodDisruptionBudget {budget['metadata']['name']}: its selector matches no pods")
    for policy in of_kind(resources, "NetworkPolicy"):
        problems += _policy_problems(resources, policy)
    return problems


def _policy_problems(resources: list[Resource], policy: Resource) -> list[str]:
    name, spec = policy["metadata"]["name"], policy["spec"]
    if not spec["podSelector"]:
        return []  # the namespace's default
    targets = selected(resources, spec["podSelector"])
    if not targets:
        return [f"NetworkPolicy {name}: its podSelector matches no pods"]
    problems = []
    for rule in spec.get("ingress") or ():
        for peer in rule.get("from") or ():
            if "podSelector" in peer and "namespaceSelector" not in peer and not selected(resources, peer["podSelector"]):
                problems.append(f"NetworkPolicy {name}: a 'from' podSelector matches no pods")
        for port in rule.get("ports") or ():
            if not any(port["port"] in container_ports(w) for w in targets):
                problems.append(f"NetworkPolicy {name}: port {port['port']} is not a port of its pods")
    return problems


def egress_allows(resources: list[Resource], labels: Mapping[str, str], port: int) -> bool:
    """Whether pods with ``labels`` may open connections to ``port`` (somewhere): their egress is
    open while no NetworkPolicy with an Egress type selects them, and then only where a rule of
    one of those allows the port (a rule without ports allows every port)."""
    policies = [
        policy
        for policy in of_kind(resources, "NetworkPolicy")
        if "Egress" in (policy["spec"].get("policyTypes") or ()) and selects(policy["spec"]["podSelector"], labels)
    ]
    if not policies:
        return True
    for policy in policies:
        for rule in policy["spec"].get("egress") or ():
            ports = rule.get("ports")
            if not ports or any(entry.get("port") in (None, port) for entry in ports):
                return True
    return False


def check_references(resources: list[Resource]) -> list[str]:
    """Every ConfigMap, Secret and key a container reads exists (optional keys too: the Secret's
    manifest is where an operator learns every key); every $(NAME) in a value is defined before
    it; HorizontalPodAutoscalers and Ingresses name what exists."""
    problems = []
    for workload in of_kind(resources, *WORKLOADS):
        for container in [*init_containers(workload), *containers(workload)]:
            where = f"{workload['metadata']['name']}/{container['name']}"
            problems += _env_problems(resources, container, where)
    for hpa in of_kind(resources, "HorizontalPodAutoscaler"):
        target = hpa["spec"]["scaleTargetRef"]
        scaled = named(resources, target["kind"], target["name"])
        if scaled is None:
            problems.append(f"HorizontalPodAutoscaler {hpa['metadata']['name']}: no {target['kind']} {target['name']}")
        elif "replicas" in scaled["spec"]:
            problems.append(f"{target['name']}: sets replicas, which its HorizontalPodAutoscaler owns")
        elif any("cpu" not in (c.get("resources") or {}).get("requests", {}) for c in containers(scaled)):
            problems.append(f"{target['name']}: a CPU autoscaler needs every container's CPU request")
    for ingress in of_kind(resources, "Ingress"):
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                port = backend["port"].get("name", backend["port"].get("number"))
                if service_port(resources, backend["name"], port) is None:
                    problems.append(
                        f"Ingress {ingress['metadata']['name']}: {path['path']} -> no Service port {backend['name']}:{port}"
                    )
    return problems


def _env_problems(resources: list[Resource], container: Mapping[str, Any], where: str) -> list[str]:
    problems = []
    for source in container.get("envFrom") or ():
        for kind, field in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
            if field in source and config_data(resources, kind, source[field]["name"]) is None:
                problems.append(f"{where}: envFrom names no {kind} {source[field]['name']}")
    defined = {name for name, var in environment(resources, {"envFrom": container.get("envFrom")}).items()}
    for entry in container.get("env") or ():
        for reference in _REFERENCE.findall(str(entry.get("value", ""))):
            if reference not in defined:
                problems.append(f"{where}: {entry['name']} refers to $({reference}), not defined before it")
        defined.add(entry["name"])
    for var in environment(resources, container).values():
        if var.source in ("configmap", "secret"):
            data = config_data(resources, "ConfigMap" if var.source == "configmap" else "Secret", var.ref)
            if data is None or var.key not in data:
                problems.append(f"{where}: {var.name} reads {var.ref}/{var.key}, which the manifests do not have")
    return problems


def check_containers(resources: list[Resource]) -> list[str]:
    """Every container has requests and limits, readiness and liveness probes on its own ports
    (init containers, which run to completion, none), and runs as no root, unprivileged, on a
    read-only root filesystem."""
    problems = []
    for workload in of_kind(resources, *WORKLOADS):
        pod = workload["spec"]["template"]["spec"]
        if not (pod.get("securityContext") or {}).get("runAsNonRoot"):
            problems.append(f"{workload['metadata']['name']}: pods may run as root")
        initial = init_containers(workload)
        for container in [*initial, *containers(workload)]:
            where = f"{workload['metadata']['name']}/{container['name']}"
            resources_ = container.get("resources") or {}
            for part in ("requests", "limits"):
                for what in ("cpu", "memory"):
                    if what not in (resources_.get(part) or {}):
                        problems.append(f"{where}: no {what} {part[:-1]}")
            ports = container_ports(workload)
            for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
                spec = container.get(probe)
                if spec is None:
                    if probe != "startupProbe" and container not in initial:
                        problems.append(f"{where}: no {probe}")
                    continue
                port = (spec.get("httpGet") or spec.get("tcpSocket") or {}).get("port")
                if port is not None and port not in ports:
                    problems.append(f"{where}: {probe} on port {port}, which the container does not have")
            security = container.get("securityContext") or {}
            if security.get("allowPrivilegeEscalation") is not False or not security.get("readOnlyRootFilesystem"):
                problems.append(f"{where}: privilege escalation allowed or root filesystem writable")
            if "ALL" not in (security.get("capabilities") or {}).get("drop", []):
                problems.append(f"{where}: capabilities not dropped")
    return problems


def service_url_problems(resources: list[Resource], name: str, url: str) -> list[str]:
    """A URL one process reaches another by names a Service of the manifests and one of its ports."""
    parsed = urlparse(url)
    host, port = parsed.hostname or "", parsed.port or (443 if parsed.scheme == "https" else 80)
    if host in _LOOPBACK:
        return [f"{name}={url}: loopback is the pod itself"]
    if named(resources, "Service", host) is None:
        return [f"{name}={url}: no Service {host}"]
    if service_port(resources, host, port) is None:
        return [f"{name}={url}: Service {host} has no port {port}"]
    return []


def env_values(resources: list[Resource], env: Mapping[str, EnvVar]) -> Iterator[tuple[str, str]]:
    """(name, value) of a container's variables whose value the manifests hold."""
    for var in env.values():
        if var.source == "value":
            yield var.name, var.value
        elif var.source == "configmap":
            yield var.name, str((config_data(resources, "ConfigMap", var.ref) or {}).get(var.key, ""))
