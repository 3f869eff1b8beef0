"""Command line and configuration: flags, commands, exit codes, error texts, merging, expansion."""
from __future__ import annotations

import re

import pytest
import yaml

from conftest import REPO, SHARED, Ports, base_config, error_lines, run_cli, write_yaml


def _cfg(tmp_path, data, name="config.yaml"):
    return str(write_yaml(tmp_path / name, data))


def _printed(proc) -> dict:
    assert proc.returncode == 0, f"print-config exited {proc.returncode}: {proc.stderr}"
    doc = yaml.safe_load(proc.stdout)
    assert isinstance(doc, dict), f"print-config printed no YAML map: {proc.stdout[:500]!r}"
    return doc


def _assert_usage_error(proc, *needles: str):
    assert proc.returncode == 2, f"exit {proc.returncode}, expected 2; stderr: {proc.stderr!r}"
    errs = error_lines(proc.stderr)
    assert errs, f"no 'swiftlet: ' reason line on stderr: {proc.stderr!r}"
    text = "\n".join(errs)
    for n in needles:
        assert n in text, f"{n!r} not named in the error: {text!r}"
    return text


# ---------------------------------------------------------------------------- flags, commands

def test_version():
    p = run_cli("--version")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "swiftlet version 0.1.0"


def test_help():
    p = run_cli("--help")
    assert p.returncode == 0, p.stderr
    for word in ("Usage", "validate", "components", "print-config", "--config", "--set"):
        assert word in p.stdout, f"--help does not mention {word}: {p.stdout!r}"


def test_unknown_flag_is_usage_error():
    p = run_cli("--no-such-flag")
    _assert_usage_error(p, "--no-such-flag")


def test_malformed_set_is_usage_error():
    p = run_cli("--set", "nonsense")
    _assert_usage_error(p, "nonsense", "key::path=value")


def test_bad_value_names_path_and_expectation():
    p = run_cli("validate", "--set", "processors::batch::timeout=banana")
    text = _assert_usage_error(p, "processors::batch::timeout", "banana")
    assert "duration" in text, f"expected type not named: {text!r}"


def test_components_lists_builtin_types():
    p = run_cli("components")
    assert p.returncode == 0, p.stderr
    doc = yaml.safe_load(p.stdout)
    expected = {"receivers": {"otlp"}, "processors": {"batch", "memory_limiter"},
                "exporters": {"debug", "logging"}, "extensions": {"health_check"}}
    for section, names in expected.items():
        entries = doc.get(section) or []
        have = {e["name"] for e in entries}
        assert names <= have, f"components {section}: {sorted(have)}, expected {sorted(names)}"
        for e in entries:
            assert e.get("kind") == section[:-1], f"{section} entry {e} has wrong kind"
            assert "traces" in (e.get("stability") or {}), f"{e} lacks stability.traces"
    stab = {e["name"]: e["stability"]["traces"] for e in doc["exporters"]}
    assert stab["logging"] == "Deprecated", f"logging exporter stability: {stab['logging']}"
    otlp = next(e for e in doc["receivers"] if e["name"] == "otlp")
    assert otlp["stability"]["traces"] == "Stable"


# ---------------------------------------------------------------------------- validate errors

def test_validate_good_config(tmp_path):
    p = run_cli("validate", "--config", _cfg(tmp_path, base_config(Ports())))
    assert p.returncode == 0, f"valid config rejected: {p.stderr}"


def test_validate_misspelt_key_names_key_path_and_file(tmp_path):
    cfg = base_config(Ports())
    cfg["receivers"]["otlp"]["protocols"] = {"htttp": {"endpoint": "127.0.0.1:4318"}}
    path = _cfg(tmp_path, cfg, "misspelt.yaml")
    p = run_cli("validate", "--config", path)
    text = _assert_usage_error(p, "htttp", "receivers::otlp::protocols", "misspelt.yaml")
    assert "unknown key 'htttp' in receivers::otlp::protocols" in text, text


def test_unknown_component_type_in_pipeline_lists_supported(tmp_path):
    cfg = base_config(Ports())
    cfg["exporters"]["kafka"] = {"brokers": ["localhost:9092"]}
    cfg["service"]["pipelines"]["traces"]["exporters"] = ["debug", "kafka"]
    p = run_cli("validate", "--config", _cfg(tmp_path, cfg))
    text = _assert_usage_error(p, "kafka")
    assert "debug" in text and "logging" in text, f"supported exporters not listed: {text!r}"


def test_unused_unknown_component_is_a_warning(tmp_path):
    cfg = base_config(Ports())
    cfg["receivers"]["opencensus"] = {"endpoint": "127.0.0.1:55678"}
    p = run_cli("validate", "--config", _cfg(tmp_path, cfg))
    assert p.returncode == 0, f"unused unknown receiver made the config invalid: {p.stderr}"
    assert re.search(r"warn.*opencensus", p.stderr, re.I), f"no warning: {p.stderr!r}"


@pytest.mark.parametrize("signal_name", ["metrics", "logs"])
def test_non_trace_pipeline_rejected(tmp_path, signal_name):
    cfg = base_config(Ports())
    cfg["service"]["pipelines"][signal_name] = {"receivers": ["otlp"], "exporters": ["debug"]}
    p = run_cli("validate", "--config", _cfg(tmp_path, cfg))
    text = _assert_usage_error(p, signal_name)
    assert "traces only" in text.lower() or "trace" in text.lower(), text


def test_grpc_protocol_accepted_and_its_tls_checked(tmp_path):
    cfg = base_config(Ports())
    cfg["receivers"]["otlp"]["protocols"]["grpc"] = {"endpoint": "127.0.0.1:4317", "max_recv_msg_size_mib": 8}
    p = run_cli("validate", "--config", _cfg(tmp_path, cfg))
    assert p.returncode == 0, p.stderr
    cfg["receivers"]["otlp"]["protocols"]["grpc"]["tls"] = {"cert_file": "x"}
    p = run_cli("validate", "--config", _cfg(tmp_path, cfg))
    _assert_usage_error(p, "receivers::otlp::protocols::grpc::tls", "key_file")
    cfg["receivers"]["otlp"]["protocols"]["grpc"]["tls"] = {"cert_file": "x", "key_file": "y"}
    p = run_cli("validate", "--config", _cfg(tmp_path, cfg))
    _assert_usage_error(p, "receivers::otlp::protocols::grpc::tls", "cert_file x: No such file")


def test_memory_limiter_requires_check_interval(tmp_path):
    cfg = base_config(Ports(), processors=("memory_limiter", "batch"))
    del cfg["processors"]["memory_limiter"]["check_interval"]
    p = run_cli("validate", "--config", _cfg(tmp_path, cfg))
    _assert_usage_error(p, "check_interval", "memory_limiter")


def test_missing_config_file(tmp_path):
    p = run_cli("validate", "--config", str(tmp_path / "nope.yaml"))
    _assert_usage_error(p, "nope.yaml")


# ---------------------------------------------------------------------------- print-config

def test_env_expansion_default_and_dollar_escape(tmp_path):
    cfg = base_config(Ports())
    cfg["processors"]["batch"] = {"timeout": "${env:SWL_TIMEOUT}",
                                  "send_batch_size": "${SWL_SIZE}",
                                  "send_batch_max_size": "${env:SWL_UNSET_VAR:-4096}"}
    cfg["extensions"]["health_check"]["path"] = "/a$$b"
    p = run_cli("print-config", "--config", _cfg(tmp_path, cfg),
                env={"SWL_TIMEOUT": "3s", "SWL_SIZE": "1000"})
    doc = _printed(p)
    batch = doc["processors"]["batch"]
    assert str(batch["timeout"]) == "3s", batch
    assert str(batch["send_batch_size"]) == "1000", batch
    assert str(batch["send_batch_max_size"]) == "4096", batch
    assert doc["extensions"]["health_check"]["path"] == "/a$b", doc["extensions"]


def test_set_changes_a_value(tmp_path):
    p = run_cli("print-config", "--config", _cfg(tmp_path, base_config(Ports())),
                "--set", "processors::batch::timeout=2s",
                "--set", "exporters::debug::verbosity=normal")
    doc = _printed(p)
    assert str(doc["processors"]["batch"]["timeout"]) == "2s", doc["processors"]
    assert doc["exporters"]["debug"]["verbosity"] == "normal", doc["exporters"]


def test_two_config_files_merge_maps_and_replace_lists(tmp_path):
    a = base_config(Ports(), processors=("memory_limiter", "batch"))
    a["processors"]["batch"] = {"timeout": "1s", "send_batch_size": 100}
    b = {"processors": {"batch": {"timeout": "5s"}},
         "service": {"pipelines": {"traces": {"processors": ["batch"]}}}}
    p = run_cli("print-config", "--config", _cfg(tmp_path, a, "a.yaml"),
                "--config", _cfg(tmp_path, b, "b.yaml"))
    doc = _printed(p)
    batch = doc["processors"]["batch"]
    assert str(batch["timeout"]) == "5s", f"later file did not win: {batch}"
    assert str(batch["send_batch_size"]) == "100", f"maps did not merge: {batch}"
    traces = doc["service"]["pipelines"]["traces"]
    assert traces["processors"] == ["batch"], f"lists did not replace: {traces}"
    assert traces["receivers"] == ["otlp"], f"sibling keys lost in the merge: {traces}"


def test_file_env_and_yaml_uris(tmp_path):
    path = _cfg(tmp_path, base_config(Ports()))
    env_yaml = yaml.safe_dump({"processors": {"batch": {"send_batch_size": 77}}})
    p = run_cli("print-config", "--config", f"file:{path}", "--config", "env:SWL_CFG",
                "--config", "yaml:processors::batch::timeout: 7s", env={"SWL_CFG": env_yaml})
    doc = _printed(p)
    batch = doc["processors"]["batch"]
    assert str(batch["send_batch_size"]) == "77", f"env: URI not merged: {batch}"
    assert str(batch["timeout"]) == "7s", f"yaml: URI not merged: {batch}"


def test_print_config_without_config_is_the_default(tmp_path):
    p = run_cli("print-config")
    doc = _printed(p)
    default = yaml.safe_load((REPO / "config" / "default.yaml").read_text())
    assert doc["service"]["pipelines"]["traces"] == default["service"]["pipelines"]["traces"]
    assert doc["exporters"]["debug"]["verbosity"] == "detailed"


# ---------------------------------------------------------------------------- shipped configs

def test_default_yaml_validates():
    p = run_cli("validate", "--config", str(REPO / "config" / "default.yaml"))
    assert p.returncode == 0, p.stderr


def test_docker_yaml_validates():
    p = run_cli("validate", "--config", str(REPO / "config" / "docker.yaml"))
    assert p.returncode == 0, p.stderr


def test_kubernetes_configmap_config_validates(tmp_path):
    docs = list(yaml.safe_load_all((REPO / "config" / "kubernetes" / "swiftlet.yaml").read_text()))
    cms = [d for d in docs if d and d.get("kind") == "ConfigMap"]
    assert cms, "no ConfigMap in config/kubernetes/swiftlet.yaml"
    text = cms[0]["data"]["config.yaml"]
    path = tmp_path / "configmap-config.yaml"
    path.write_text(text)
    p = run_cli("validate", "--config", str(path))
    assert p.returncode == 0, p.stderr


# ---------------------------------------------------------------------------- deployment files

DEPLOYMENT = SHARED / "reference" / "deployment"


@pytest.mark.parametrize("name", ["collector-config.yaml", "otel-collector-cr.yaml"])
def test_reference_deployment_validates(name):
    """Every receiver, processor and exporter of the seed's config is served (Jaeger gRPC included)."""
    path = DEPLOYMENT / name
    if not path.exists():
        pytest.skip(f"{path} absent (../shared not present)")
    p = run_cli("validate", "--config", str(path))
    assert p.returncode == 0, f"exit {p.returncode}; stderr: {p.stderr!r}"
    assert error_lines(p.stderr) == [], p.stderr


@pytest.mark.parametrize("name", ["collector-config.yaml", "otel-collector-cr.yaml"])
def test_reference_deployment_warns_about_unused_opencensus(name):
    path = DEPLOYMENT / name
    if not path.exists():
        pytest.skip(f"{path} absent (../shared not present)")
    p = run_cli("validate", "--config", str(path))
    assert p.returncode == 0, p.stderr
    warnings = [l for l in p.stderr.splitlines() if re.search(r"warn", l, re.I)]
    assert any("opencensus" in l for l in warnings), \
        f"no warning for the defined but unused opencensus receiver; stderr:\n{p.stderr}"


def test_json_logs_are_one_object_per_line(swiftlet_factory):
    """With `encoding: json` every line on stderr is one JSON object, the debug exporter's
    detailed block included (as a record of its own)."""
    import json as _json
    ports = Ports()
    cfg = base_config(ports, verbosity="detailed")
    cfg["service"]["telemetry"]["logs"] = {"encoding": "json", "initial_fields": {"deployment": "e2e"}}
    sw = swiftlet_factory(config=cfg, ports=ports)
    from otlp_fixtures import raw_request, raw_span
    status, _, body = sw.post("/v1/traces", raw_request(raw_span(bytes([3] * 16), bytes([4] * 8), "json logs")))
    assert status == 200, body
    from conftest import wait_until
    wait_until(lambda: "json logs" in sw.stderr(), 10, what="the span in the log")
    sw.stop()
    lines = [l for l in sw.stderr().splitlines() if l.strip()]
    assert len(lines) >= 4
    objects = [_json.loads(l) for l in lines]
    assert all(isinstance(o, dict) and {"ts", "level", "msg", "otelcol.component.id"} <= o.keys() for o in objects)
    assert all(o["deployment"] == "e2e" for o in objects)
    assert any(o["msg"] == "Traces" and o.get("spans") == "1" for o in objects)
    assert any("Name           : json logs" in o["msg"] for o in objects)
