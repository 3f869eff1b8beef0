"""Deployment files: Kubernetes manifests, Dockerfile, README (static checks, no binary needed)."""
from __future__ import annotations

import re

import pytest
import yaml

from conftest import REPO

PORTS = {(4317, "TCP"), (4318, "TCP"), (9411, "TCP"), (14250, "TCP"), (14268, "TCP"),
         (6831, "UDP"), (6832, "UDP"), (13133, "TCP"), (8888, "TCP")}
HEALTH_PORT = 13133


def _k8s_docs() -> list[dict]:
    files = sorted((REPO / "config" / "kubernetes").glob("*.yaml"))
    assert files, "no config/kubernetes/*.yaml"
    docs = []
    for f in files:
        docs += [d for d in yaml.safe_load_all(f.read_text()) if d]
    return docs


def _one(kind: str, name: str | None = None) -> dict:
    found = [d for d in _k8s_docs()
             if d.get("kind") == kind and (name is None or d["metadata"]["name"] == name)]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


def test_namespace():
    ns = _one("Namespace")
    assert ns["metadata"]["name"] == "otel-system"


def test_configmap_in_namespace_with_config():
    cm = _one("ConfigMap", "otel-collector-config")
    assert cm["metadata"].get("namespace") == "otel-system"
    config = yaml.safe_load(cm["data"]["config.yaml"])
    assert "traces" in config["service"]["pipelines"], config["service"]


def test_service_ports():
    svc = _one("Service", "otel-collector-collector")
    assert svc["metadata"].get("namespace") == "otel-system"
    have = {(p["port"], p.get("protocol", "TCP")) for p in svc["spec"]["ports"]}
    assert have == PORTS, f"Service ports differ: missing {PORTS - have}, extra {have - PORTS}"
    dep = _one("Deployment")
    assert set(svc["spec"]["selector"].items()) <= \
        set(dep["spec"]["template"]["metadata"]["labels"].items()), "Service selects no pod"


def _container() -> dict:
    dep = _one("Deployment")
    containers = dep["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    return containers[0]


def test_deployment_ports_probes_resources():
    dep = _one("Deployment")
    assert dep["metadata"].get("namespace") == "otel-system"
    c = _container()
    ports = {p["name"]: p for p in c.get("ports", [])}
    have = {(p["containerPort"], p.get("protocol", "TCP")) for p in ports.values()}
    assert have == PORTS, f"container ports differ: missing {PORTS - have}, extra {have - PORTS}"
    for probe in ("livenessProbe", "readinessProbe"):
        get = c[probe]["httpGet"]
        port = get["port"]
        if isinstance(port, str):
            port = ports[port]["containerPort"]
        assert port == HEALTH_PORT, f"{probe} on port {port}"
        assert get.get("path", "/") == "/", get
    res = c["resources"]
    for part in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(res.get(part, {})), f"resources.{part}: {res.get(part)}"


def test_deployment_mounts_config_and_runs_as_10001():
    dep = _one("Deployment")
    c = _container()
    assert "/etc/swiftlet/config.yaml" in c.get("args", []), c.get("args")
    mounts = {m["mountPath"]: m for m in c.get("volumeMounts", [])}
    assert "/etc/swiftlet" in mounts, mounts
    pod = dep["spec"]["template"]["spec"]
    assert pod.get("securityContext", {}).get("runAsUser") == 10001
    vol = next(v for v in pod["volumes"] if v["name"] == mounts["/etc/swiftlet"]["name"])
    assert vol["configMap"]["name"] == _one("ConfigMap", "otel-collector-config")["metadata"]["name"]


def _dockerfile() -> str:
    return (REPO / "Dockerfile").read_text()


def _final_stage(text: str) -> str:
    return re.split(r"(?im)^FROM\s", text)[-1]


def test_dockerfile_exposes_the_ports():
    exposed = set()
    for line in _dockerfile().splitlines():
        if line.strip().upper().startswith("EXPOSE"):
            for tok in line.split()[1:]:
                port, _, proto = tok.partition("/")
                exposed.add((int(port), (proto or "tcp").upper()))
    assert exposed == PORTS, f"EXPOSE differs: missing {PORTS - exposed}, extra {exposed - PORTS}"


def test_dockerfile_user_healthcheck_and_config_path():
    final = _final_stage(_dockerfile())
    users = re.findall(r"(?im)^USER\s+(\S+)", final)
    assert users and users[-1].split(":")[0] == "10001", f"USER lines: {users}"
    assert re.search(r"(?im)^HEALTHCHECK\s", final), "no HEALTHCHECK in the final stage"
    assert re.search(r"(?im)^HEALTHCHECK.*13133", final.replace("\\\n", " ")), "HEALTHCHECK not on 13133"
    assert re.search(r"(?im)^COPY\s.*\s/etc/swiftlet/config\.yaml\s*$", final), "config not copied"
    assert "/etc/swiftlet/config.yaml" in " ".join(re.findall(r"(?im)^(?:CMD|ENTRYPOINT).*", final))


# The Debian package of each shared library the release binary may need at run time: the ones it
# links (ldd), and libssl.so.3, which it loads on first use of TLS (Sources/CSSLLoader).
LIBRARY_PACKAGES = {"libnghttp2.so.14": "libnghttp2-14", "libz.so.1": "zlib1g", "libyaml-0.so.2": "libyaml-0-2",
                    "libzstd.so.1": "libzstd1", "libssl.so.3": "libssl3", "libdeflate.so.0": "libdeflate0"}
BASE_IMAGE_LIBRARIES = {"linux-vdso.so.1", "libc.so.6", "libm.so.6", "libgcc_s.so.1", "ld-linux-x86-64.so.2"}


def test_dockerfile_runtime_stage_installs_exactly_the_libraries_the_binary_needs():
    binary = REPO / ".build" / "release" / "swiftlet"
    if not binary.exists():
        pytest.skip("no release binary (make release)")
    import subprocess
    out = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, timeout=30).stdout
    linked = {line.split()[0].rsplit("/", 1)[-1] for line in out.splitlines() if line.strip()}
    needed = (linked - BASE_IMAGE_LIBRARIES) | ({"libssl.so.3"} if b"libssl.so.3" in binary.read_bytes() else set())
    unknown = needed - LIBRARY_PACKAGES.keys()
    assert not unknown, f"the binary needs {unknown}: add their packages to LIBRARY_PACKAGES and the Dockerfile"
    final = _final_stage(_dockerfile()).replace("\\\n", " ")
    installed = set(re.search(r"apt-get install -y --no-install-recommends ([^&]+)", final).group(1).split())
    # ca-certificates: the system's CA store, which a TLS exporter without `ca_file` trusts.
    assert installed == {LIBRARY_PACKAGES[l] for l in needed} | {"ca-certificates"}, (installed, needed)


def test_readme_starts_with_make_run_and_make_test():
    readme = REPO / "README.md"
    if not readme.exists():
        pytest.skip("README.md does not exist yet")
    text = readme.read_text()
    cmds = re.findall(r"(?m)^\s*(?:\$\s*)?(make\s+\S+)", text)
    assert cmds[:2] == ["make run", "make test"], f"first commands in README.md: {cmds[:4]}"


def test_service_monitor_and_pod_monitor_scrape_the_metrics_port():
    svc = _one("Service", "otel-collector-collector")
    sm = _one("ServiceMonitor", "swiftlet")
    assert set(sm["spec"]["selector"]["matchLabels"].items()) <= set(svc["metadata"]["labels"].items())
    port_names = {p["name"] for p in svc["spec"]["ports"]}
    assert all(e["port"] in port_names and e["path"] == "/metrics" for e in sm["spec"]["endpoints"])
    pm = _one("PodMonitor", "swiftlet")
    container_ports = {p["name"] for p in _container()["ports"]}
    assert all(e["port"] in container_ports for e in pm["spec"]["podMetricsEndpoints"])
    dep = _one("Deployment")
    assert set(pm["spec"]["selector"]["matchLabels"].items()) <= set(dep["spec"]["template"]["metadata"]["labels"].items())


def test_grafana_dashboard_is_a_labelled_configmap_with_queries():
    import json
    cm = _one("ConfigMap", "swiftlet-dashboard")
    assert cm["metadata"]["labels"].get("grafana_dashboard") == "1"
    (name, text), = cm["data"].items()
    dashboard = json.loads(text)
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    assert len(exprs) >= 8 and all("otelcol_" in e for e in exprs)


def test_certificate_secret_is_mounted_for_tls():
    """The Deployment mounts the otel-collector-tls secret (optional) where the config's
    commented `tls` block expects it."""
    dep = _one("Deployment")
    volumes = {v["name"]: v for v in dep["spec"]["template"]["spec"]["volumes"]}
    assert volumes["tls"]["secret"] == {"secretName": "otel-collector-tls", "optional": True}
    mounts = {m["name"]: m for m in _container()["volumeMounts"]}
    assert mounts["tls"]["mountPath"] == "/etc/swiftlet-tls" and mounts["tls"]["readOnly"]
    config = _one("ConfigMap", "otel-collector-config")["data"]["config.yaml"]
    for name in ("tls.crt", "tls.key", "ca.crt"):
        assert f"/etc/swiftlet-tls/{name}" in config


def test_k8sattributes_runs_as_a_service_account_allowed_to_watch_what_it_reads():
    config = yaml.safe_load(_one("ConfigMap", "otel-collector-config")["data"]["config.yaml"])
    pipeline = config["service"]["pipelines"]["traces"]["processors"]
    assert "k8sattributes" in pipeline and pipeline.index("k8sattributes") < pipeline.index("batch"), pipeline
    account = _one("ServiceAccount", "otel-collector")
    assert account["metadata"]["namespace"] == "otel-system"
    spec = _one("Deployment", "otel-collector-collector")["spec"]["template"]["spec"]
    assert spec["serviceAccountName"] == "otel-collector"
    binding = _one("ClusterRoleBinding")
    assert {"kind": "ServiceAccount", "name": "otel-collector", "namespace": "otel-system"} in binding["subjects"]
    role = _one("ClusterRole", binding["roleRef"]["name"])
    allowed = {(group, resource) for rule in role["rules"] for group in rule["apiGroups"] for resource in rule["resources"]
               if {"get", "list", "watch"} <= set(rule["verbs"])}
    assert {("", "pods"), ("", "namespaces"), ("", "nodes"), ("apps", "replicasets")} <= allowed, allowed


def _two_tier() -> list[dict]:
    return [d for d in yaml.safe_load_all((REPO / "config" / "kubernetes" / "two-tier" / "two-tier.yaml").read_text()) if d]


def test_two_tier_configs_validate(tmp_path):
    from conftest import run_cli
    configs = {d["metadata"]["name"]: d["data"]["config.yaml"] for d in _two_tier() if d["kind"] == "ConfigMap"}
    assert set(configs) == {"otel-agent-config", "otel-gateway-config"}
    for name, text in configs.items():
        path = tmp_path / f"{name}.yaml"
        path.write_text(text)
        p = run_cli("validate", "--config", str(path))
        assert p.returncode == 0, f"{name}: {p.stderr}"
    agent = yaml.safe_load(configs["otel-agent-config"])
    gateway = yaml.safe_load(configs["otel-gateway-config"])
    assert agent["service"]["pipelines"]["traces"]["exporters"] == ["loadbalancing"]
    assert "tail_sampling" in gateway["service"]["pipelines"]["traces"]["processors"]
    assert len(gateway["processors"]["tail_sampling"]["policies"]) >= 4


def test_two_tier_agents_route_over_the_headless_gateway_service_they_may_watch():
    docs = _two_tier()
    one = lambda kind, name: next(d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name)
    agent_cfg = yaml.safe_load(one("ConfigMap", "otel-agent-config")["data"]["config.yaml"])
    service, namespace = agent_cfg["exporters"]["loadbalancing"]["resolver"]["k8s"]["service"].split(".")
    headless = one("Service", service)
    assert headless["metadata"]["namespace"] == namespace and headless["spec"]["clusterIP"] == "None"
    gateway = one("Deployment", "otel-gateway")
    assert headless["spec"]["selector"].items() <= gateway["spec"]["template"]["metadata"]["labels"].items()
    agent = one("Deployment", "otel-agent")
    account = agent["spec"]["template"]["spec"]["serviceAccountName"]
    binding = next(d for d in docs if d["kind"] == "RoleBinding" and any(s["name"] == account for s in d["subjects"]))
    role = one("Role", binding["roleRef"]["name"])
    assert any("endpointslices" in r["resources"] and {"get", "list", "watch"} <= set(r["verbs"])
               and "discovery.k8s.io" in r["apiGroups"] for r in role["rules"])
    for deployment in ("otel-agent", "otel-gateway"):
        hpa = next(d for d in docs if d["kind"] == "HorizontalPodAutoscaler" and d["spec"]["scaleTargetRef"]["name"] == deployment)
        assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
        labels = one("Deployment", deployment)["spec"]["template"]["metadata"]["labels"]
        assert any(d["kind"] == "PodDisruptionBudget" and d["spec"]["selector"]["matchLabels"].items() <= labels.items() for d in docs)
        container = one("Deployment", deployment)["spec"]["template"]["spec"]["containers"][0]
        assert container["resources"]["requests"]["cpu"], "an HPA on CPU needs a CPU request"
