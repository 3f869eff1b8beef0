"""`k8sattributes` end to end, against a Kubernetes API server written for the test (fake_kube_api):
the collector lists and watches pods, replicasets and namespaces with the service-account token
and CA; spans sent from a "pod IP" (a loopback alias: 127.0.0.2, 127.0.0.3, …) by real clients —
Istio-style Envoy Zipkin, Debian's Ruby Jaeger client, the OpenTelemetry SDK — reach a grpcio
backend with that pod's metadata, after `filter` dropped the health checks. Pods added, relabelled
and deleted while it runs are reflected; a dropped watch, a 410 Gone and the API server going away
never stop the pipeline."""
from __future__ import annotations

import http.client
import json
import shutil
import subprocess
import time

import pytest
import requests
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from requests.adapters import HTTPAdapter

from conftest import Ports, base_config, free_port, wait_until
from fake_kube_api import FakeKubeAPI, namespace, pod, replicaset
from otlp_backend import GRPCBackend

PRODUCTPAGE = "127.0.0.2"  # an Istio sidecar's pod
HOTROD = "127.0.0.3"  # HotROD's frontend, a Jaeger client
CHECKOUT = "127.0.0.4"  # an OpenTelemetry SDK
LATE = "127.0.0.5"


@pytest.fixture
def kube(tmp_path):
    api = FakeKubeAPI(tmp_path / "kube")
    api.put("namespaces", namespace("bookinfo", {"istio-injection": "enabled", "team": "books"}))
    api.put("namespaces", namespace("hotrod", {"team": "rides"}))
    api.put("replicasets", replicaset("productpage-v1-6b746f74dc", "productpage-v1", "bookinfo"))
    api.put("pods", pod("productpage-v1-6b746f74dc-9stp2", PRODUCTPAGE, "bookinfo", labels={"app": "productpage", "version": "v1"},
                        owner=("ReplicaSet", "productpage-v1-6b746f74dc", "uid-productpage-v1-6b746f74dc")))
    api.put("pods", pod("hotrod-frontend-0", HOTROD, "hotrod", labels={"app": "hotrod"},
                        owner=("StatefulSet", "hotrod-frontend", "uid-sts"), image="jaegertracing/example-hotrod:1.57"))
    api.put("pods", pod("checkout-5b8c7d9f4-abcde", CHECKOUT, "bookinfo", labels={"app": "checkout"}))
    yield api
    api.stop()


@pytest.fixture
def backend():
    b = GRPCBackend()
    yield b
    b.stop()


def _config(ports: Ports, backend_port: int, zipkin: int, jaeger: int) -> dict:
    cfg = base_config(ports, processors=("k8sattributes", "filter/healthz", "batch"))
    cfg["processors"] = {
        "k8sattributes": {
            "auth_type": "serviceAccount",
            "wait_for_metadata": True,
            "extract": {
                "metadata": ["k8s.namespace.name", "k8s.pod.name", "k8s.pod.uid", "k8s.deployment.name", "k8s.statefulset.name",
                             "k8s.node.name", "container.image.name", "container.image.tag"],
                "labels": [{"tag_name": "app.label.version", "key": "version"}, {"key": "team", "from": "namespace"}],
            },
            "pod_association": [
                {"sources": [{"from": "resource_attribute", "name": "k8s.pod.uid"}]},
                {"sources": [{"from": "connection"}]},
            ],
        },
        "filter/healthz": {"traces": {"span": ['IsMatch(attributes["http.url"], "/healthz|/app-health/")']}},
        "batch": {"timeout": "50ms"},
    }
    cfg["receivers"]["zipkin"] = {"endpoint": f"127.0.0.1:{zipkin}"}
    cfg["receivers"]["jaeger"] = {"protocols": {"thrift_http": {"endpoint": f"127.0.0.1:{jaeger}"}}}
    cfg["exporters"]["otlp"] = {"endpoint": f"127.0.0.1:{backend_port}", "tls": {"insecure": True}}
    pipeline = cfg["service"]["pipelines"]["traces"]
    pipeline["receivers"] = ["otlp", "zipkin", "jaeger"]
    pipeline["exporters"] = ["otlp"]
    return cfg


def _envoy_span(trace: str, span: str, url: str) -> dict:
    """A span as Envoy's Zipkin tracer writes one for Istio (v2 JSON, string tags)."""
    return {"traceId": trace, "id": span, "kind": "SERVER", "name": "productpage.bookinfo.svc.cluster.local:9080/*",
            "timestamp": int(time.time() * 1e6), "duration": 1200, "shared": True,
            "localEndpoint": {"serviceName": "productpage.bookinfo", "ipv4": PRODUCTPAGE},
            "tags": {"component": "proxy", "http.method": "GET", "http.url": url, "http.status_code": "200",
                     "istio.canonical_service": "productpage"}}


def _post_zipkin_from(source_ip: str, port: int, spans: list[dict]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source_ip, 0))
    try:
        conn.request("POST", "/api/v2/spans", body=json.dumps(spans), headers={"Content-Type": "application/json"})
        assert conn.getresponse().status == 202
    finally:
        conn.close()


class _SourceAdapter(HTTPAdapter):
    """Binds requests' connections to a source address: the SDK exporter then sends from a pod IP."""

    def __init__(self, source_ip: str):
        self.source_ip = source_ip
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.source_ip, 0)
        super().init_poolmanager(*args, **kwargs)


def _send_sdk_from(source_ip: str, port: int, service: str, name: str, resource: dict | None = None) -> None:
    session = requests.Session()
    session.mount("http://", _SourceAdapter(source_ip))
    exporter = OTLPSpanExporter(endpoint=f"http://127.0.0.1:{port}/v1/traces", session=session, timeout=10)
    provider = TracerProvider(resource=Resource.create({"service.name": service, **(resource or {})}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with provider.get_tracer("e2e.k8s").start_as_current_span(name):
        pass
    provider.shutdown()


RUBY_HOTROD = r'''
require "jaeger/client"
require "logger"
require "net/http"
# Send from the pod's IP, as the frontend container would.
class Net::HTTP
  alias_method :connect_from_anywhere, :connect
  def connect
    self.local_host = ENV.fetch("SOURCE_IP")
    connect_from_anywhere
  end
end
port = ARGV[0].to_i
logger = Logger.new($stderr)
encoder = Jaeger::Encoders::ThriftEncoder.new(service_name: "frontend", tags: {"hostname" => "hotrod-frontend-0"}, logger: logger)
sender = Jaeger::HttpSender.new(url: "http://127.0.0.1:#{port}/api/traces", encoder: encoder, logger: logger)
reporter = Jaeger::Reporters::RemoteReporter.new(sender: sender, flush_interval: 0.1)
tracer = Jaeger::Client.build(service_name: "frontend", reporter: reporter)
root = tracer.start_span("HTTP GET /dispatch", tags: {"span.kind" => "server", "http.url" => "/dispatch?customer=123"})
probe = tracer.start_span("HTTP GET /healthz", tags: {"span.kind" => "server", "http.url" => "/healthz"})
probe.finish
child = tracer.start_span("HTTP GET /customer", child_of: root, tags: {"span.kind" => "client", "http.url" => "http://0.0.0.0:8081/customer?customer=123"})
child.finish
root.finish
reporter.flush
'''


def _ruby_jaeger_ready() -> bool:
    return shutil.which("ruby") is not None and subprocess.run(
        ["ruby", "-e", 'require "jaeger/client"'], capture_output=True, timeout=30).returncode == 0


def _resources(backend) -> dict[str, list[dict]]:
    """Resource attributes of every span received, by span name."""
    out: dict[str, list[dict]] = {}
    for rs, _, span in backend.recorder.spans():
        attrs = {kv.key: getattr(kv.value, kv.value.WhichOneof("value")) for kv in rs.resource.attributes}
        out.setdefault(span.name, []).append(attrs)
    return out


def _wait_for(backend, name: str, predicate=lambda a: True, timeout: float = 20) -> dict:
    def found():
        return next((a for a in _resources(backend).get(name, []) if predicate(a)), None)
    return wait_until(found, timeout, 0.05, f"span {name!r}")


def test_seed_traffic_gets_its_pods_metadata_and_loses_health_checks(swiftlet_factory, kube, backend, tmp_path):
    ports = Ports()
    zipkin, jaeger = free_port(), free_port()
    collector = swiftlet_factory(config=_config(ports, backend.port, zipkin, jaeger), ports=ports, env=kube.environment())

    trace = "5af7183fb1d4cf5f5af7183fb1d4cf5f"
    _post_zipkin_from(PRODUCTPAGE, zipkin, [
        _envoy_span(trace, "0000000000000001", "http://productpage.bookinfo:9080/productpage"),
        _envoy_span("6b08183fb1d4cf5f6b08183fb1d4cf5f", "0000000000000002", "http://127.0.0.2:15021/healthz/ready"),
        _envoy_span("7c09183fb1d4cf5f7c09183fb1d4cf5f", "0000000000000003", "http://127.0.0.2:15020/app-health/productpage/readyz"),
    ])
    page = _wait_for(backend, "productpage.bookinfo.svc.cluster.local:9080/*")
    assert page["service.name"] == "productpage.bookinfo"
    assert page["k8s.pod.name"] == "productpage-v1-6b746f74dc-9stp2" and page["k8s.namespace.name"] == "bookinfo"
    assert page["k8s.pod.uid"] == "uid-productpage-v1-6b746f74dc-9stp2"
    assert page["k8s.deployment.name"] == "productpage-v1" and page["k8s.node.name"] == "kind-worker"
    assert page["container.image.name"] == "docker.io/istio/examples-bookinfo" and page["container.image.tag"] == "1.20.2"
    assert page["app.label.version"] == "v1" and page["k8s.namespace.labels.team"] == "books", page

    _send_sdk_from(CHECKOUT, ports.otlp, "checkout", "PlaceOrder")
    checkout = _wait_for(backend, "PlaceOrder")
    assert checkout["k8s.pod.name"] == "checkout-5b8c7d9f4-abcde" and "k8s.deployment.name" not in checkout, checkout

    # The SDK names its pod by uid: that association comes first, whatever the connection.
    _send_sdk_from(CHECKOUT, ports.otlp, "by-uid", "ByUID", {"k8s.pod.uid": "uid-hotrod-frontend-0"})
    assert _wait_for(backend, "ByUID")["k8s.pod.name"] == "hotrod-frontend-0"

    if _ruby_jaeger_ready():
        script = tmp_path / "hotrod.rb"
        script.write_text(RUBY_HOTROD)
        p = subprocess.run(["ruby", str(script), str(jaeger)], capture_output=True, text=True, timeout=60,
                           env={"SOURCE_IP": HOTROD, "PATH": "/usr/bin:/bin"})
        assert p.returncode == 0, p.stderr[-2000:]
        dispatch = _wait_for(backend, "HTTP GET /dispatch")
        assert dispatch["service.name"] == "frontend" and dispatch["host.name"] == "hotrod-frontend-0"
        assert dispatch["k8s.pod.name"] == "hotrod-frontend-0" and dispatch["k8s.statefulset.name"] == "hotrod-frontend"
        assert dispatch["container.image.name"] == "jaegertracing/example-hotrod" and dispatch["k8s.namespace.labels.team"] == "rides"
        _wait_for(backend, "HTTP GET /customer")

    time.sleep(0.5)  # anything the filter let through would have arrived by now
    names = _resources(backend)
    assert "HTTP GET /healthz" not in names
    assert len(names["productpage.bookinfo.svc.cluster.local:9080/*"]) == 1 and backend.recorder.span_count() in (3, 5), names
    assert kube.refused == 0 and all(auth == f"Bearer {kube.token}" for _, auth in kube.requests)
    assert kube.count(lambda p: p.startswith("/apis/apps/v1/replicasets?")) >= 1
    assert collector.alive()


def test_pod_changes_dropped_watches_410_and_an_api_outage(swiftlet_factory, kube, backend):
    ports = Ports()
    collector = swiftlet_factory(config=_config(ports, backend.port, free_port(), free_port()), ports=ports, env=kube.environment())
    n = iter(range(1000))

    def sent_from(ip: str, predicate, what: str) -> dict:
        """Sends a span from `ip` until one arrives whose resource satisfies `predicate`."""
        def attempt():
            name = f"{what}-{next(n)}"
            _send_sdk_from(ip, ports.otlp, "svc", name)
            attrs = _wait_for(backend, name)
            return attrs if predicate(attrs) else None
        return wait_until(attempt, 20, 0.2, what)

    assert sent_from(PRODUCTPAGE, lambda a: a.get("app.label.version") == "v1", "initial")

    # Relabelled: the next spans carry the new label.
    kube.put("pods", pod("productpage-v1-6b746f74dc-9stp2", PRODUCTPAGE, "bookinfo", labels={"app": "productpage", "version": "v2"},
                         owner=("ReplicaSet", "productpage-v1-6b746f74dc", "uid-productpage-v1-6b746f74dc")))
    sent_from(PRODUCTPAGE, lambda a: a.get("app.label.version") == "v2", "relabelled")

    # A pod that did not exist when the collector started.
    _send_sdk_from(LATE, ports.otlp, "svc", "before-the-pod")
    assert "k8s.pod.name" not in _wait_for(backend, "before-the-pod")
    kube.put("pods", pod("reviews-v3-0", LATE, "bookinfo"))
    sent_from(LATE, lambda a: a.get("k8s.pod.name") == "reviews-v3-0", "added")

    # Deleted, and its IP given to a newer pod: spans from the IP are the new pod's.
    kube.delete("pods", "uid-checkout-5b8c7d9f4-abcde")
    kube.put("pods", pod("checkout-5b8c7d9f4-zzzzz", CHECKOUT, "bookinfo", start="2026-12-06T10:00:00Z"))
    sent_from(CHECKOUT, lambda a: a.get("k8s.pod.name") == "checkout-5b8c7d9f4-zzzzz", "replaced")

    # Every watch dropped mid-stream: the collector watches again from where it was.
    lists_before = kube.count(lambda p: p.startswith("/api/v1/pods?limit="))
    kube.drop_watches()
    time.sleep(0.5)
    kube.put("pods", pod("ratings-v1-0", LATE, "bookinfo", start="2026-12-06T11:00:00Z"))
    sent_from(LATE, lambda a: a.get("k8s.pod.name") == "ratings-v1-0", "after-drop")
    assert kube.count(lambda p: p.startswith("/api/v1/pods?limit=")) == lists_before  # resumed, not re-listed

    # History compacted (410 Gone): a change no watch will report appears after the re-list.
    kube.put_silently("pods", pod("details-v1-0", LATE, "bookinfo", start="2026-12-06T12:00:00Z"))
    kube.expire_history()
    sent_from(LATE, lambda a: a.get("k8s.pod.name") == "details-v1-0", "after-410")
    assert kube.count(lambda p: p.startswith("/api/v1/pods?limit=")) > lists_before

    # The API server goes away: spans keep flowing with what the cache knows, health stays 200.
    kube.stop()
    _send_sdk_from(PRODUCTPAGE, ports.otlp, "svc", "during-outage")
    assert _wait_for(backend, "during-outage")["k8s.pod.name"] == "productpage-v1-6b746f74dc-9stp2"
    assert collector.health()[0] == 200 and collector.alive()
    assert collector.stop()[0] == 0


def test_start_fails_naming_the_missing_service_account(swiftlet_factory, tmp_path):
    ports = Ports()
    cfg = _config(ports, free_port(), free_port(), free_port())
    s = swiftlet_factory(config=cfg, ports=ports, env={"KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": "1",
                                                       "SWIFTLET_K8S_SERVICE_ACCOUNT_DIR": str(tmp_path / "none")},
                         wait_healthy=False)
    assert s.wait_exit(30) not in (None, 0)
    assert str(tmp_path / "none" / "token") in s.stderr(), s.stderr()[-2000:]
