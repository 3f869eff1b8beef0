"""What the harness runs: Swiftlet in each pipeline (receiver -> batch -> otlp exporter), the
sink (a second Swiftlet: OTLP/gRPC receiver -> nop, counting spans in its /metrics), rotel,
nginx (the HTTP/1.1 floor) and the upb decode floor."""
import os, shutil, subprocess, sys

from . import payloads
from .load import Target
from .procs import Pinned, counter, free_port, wait_for_port

GRPC_PATH = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
GRPC_HEADERS = ("content-type: application/grpc", "te: trailers")

# What each collector's OTLP exporter puts on the wire for each value of its compression setting:
# the gRPC message encoding (grpc-encoding, and the compressed flag of each message), "none" for
# plain messages. A peer's row is compared only with a Swiftlet row that puts the same on the wire.
# Seen on the wire, not taken from the flags' help: Tests/EndToEnd/test_bench_wire.py sends a span
# through each configuration to a recording HTTP/2 server and fails when this table is wrong.
# rotel 0.0.1a15 sends gzip whatever --otlp-exporter-compression (or the traces one) says.
WIRE_COMPRESSION = {
    "swiftlet": {"none": "none", "gzip": "gzip", "zstd": "zstd"},  # the otlp exporter's `compression`
    "rotel": {"none": "gzip", "gzip": "gzip"},  # --otlp-exporter-compression
}
TLS_SUFFIX = ", TLS"  # rows with TLS on the receiver and the exporter; compared with the row without
ROTEL_COMPRESSION = "gzip"  # the flag the harness gives rotel: the one that says what it does


def write(path, data):
    with open(path, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)
    return path


def make_certs(tmp):
    """A CA and a certificate for 127.0.0.1/localhost (openssl CLI, EC P-256): the TLS rows'
    receivers and the sink's TLS port use it, exporters trust the CA."""
    d = os.path.join(tmp, "tls")
    os.makedirs(d, exist_ok=True)
    f = lambda name: os.path.join(d, name)
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    run = lambda *argv: subprocess.run(["openssl", *argv], check=True, capture_output=True, timeout=60)
    run("req", "-x509", *ec, "-subj", "/CN=bench-ca", "-keyout", f("ca.key"), "-out", f("ca.crt"), "-days", "2")
    run("req", *ec, "-subj", "/CN=localhost", "-keyout", f("server.key"), "-out", f("server.csr"))
    write(f("ext.cnf"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    run("x509", "-req", "-in", f("server.csr"), "-CA", f("ca.crt"), "-CAkey", f("ca.key"), "-CAcreateserial",
        "-out", f("server.crt"), "-days", "2", "-extfile", f("ext.cnf"))
    return {"ca": f("ca.crt"), "cert": f("server.crt"), "key": f("server.key")}


def server_tls_yaml(certs, indent):
    pad = " " * indent
    return f"\n{pad}tls:\n{pad}  cert_file: {certs['cert']}\n{pad}  key_file: {certs['key']}"


def bodies(tmp):
    """Body files, one per encoding."""
    proto = payloads.otlp_proto()
    return {"proto": write(os.path.join(tmp, "otlp.bin"), proto),
            "grpc": write(os.path.join(tmp, "otlp.grpc"), payloads.grpc_frame(proto)),
            "json": write(os.path.join(tmp, "otlp.json"), payloads.otlp_json()),
            "zipkin": write(os.path.join(tmp, "zipkin.json"), payloads.zipkin_json()),
            "jaeger": write(os.path.join(tmp, "jaeger.thrift"), payloads.jaeger_thrift())}


def swiftlet_config(path, receiver, exporter, metrics_port, batch, processors=None):
    """A one-pipeline config: RECEIVER (YAML under receivers:) [-> PROCESSORS] [-> batch] -> EXPORTER;
    PROCESSORS maps a processor id to its YAML (indented for its place under processors:)."""
    kind = lambda yaml: yaml.split(":", 1)[0]
    chain = list(processors or {}) + (["batch"] if batch else [])
    defined = "".join(f"  {pid}:\n{body}" for pid, body in (processors or {}).items()) + ("  batch:\n" if batch else "")
    processors = f"processors:\n{defined}" if defined else ""
    return write(path, f"""receivers:
  {receiver}
{processors}exporters:
  {exporter}
service:
  telemetry:
    metrics:
      address: 127.0.0.1:{metrics_port}
  pipelines:
    traces:
      receivers: [{kind(receiver)}]
      processors: [{", ".join(chain)}]
      exporters: [{kind(exporter)}]
""")


def otlp_exporter(port, compression, ca=None):
    """Swiftlet's otlp exporter (gRPC) to 127.0.0.1:PORT, YAML under exporters:; plain text, or
    TLS trusting the CA file `ca`."""
    tls = f"ca_file: {ca}" if ca else "insecure: true"
    return f"""otlp:
    endpoint: {"localhost" if ca else "127.0.0.1"}:{port}
    tls:
      {tls}
    compression: {compression}"""


def path_name(receiver, wire):
    """A row's path: the receiver, and the compression on the wire out when there is one."""
    return receiver if wire == "none" else f"{receiver}, {wire} out"


# Each Swiftlet path: (receiver, receiver YAML with {port}, how to reach it, exporter compression,
# TLS on both sides).
def swiftlet_paths(files, certs):
    def http(path, ctype, body, scheme="http"):
        return lambda port: Target(f"{scheme}://127.0.0.1:{port}{path}", files[body], (f"content-type: {ctype}",))
    otlp_http = "otlp:\n    protocols:\n      http:\n        endpoint: 127.0.0.1:{port}"
    otlp_grpc = "otlp:\n    protocols:\n      grpc:\n        endpoint: 127.0.0.1:{port}"
    grpc = lambda port: Target(f"http://127.0.0.1:{port}{GRPC_PATH}", files["grpc"], GRPC_HEADERS, h1=False)
    grpcs = lambda port: Target(f"https://127.0.0.1:{port}{GRPC_PATH}", files["grpc"], GRPC_HEADERS, h1=False)
    tls = server_tls_yaml(certs, 8)
    return [
        ("OTLP/HTTP protobuf, TLS", otlp_http + tls, http("/v1/traces", "application/x-protobuf", "proto", "https"), "none", True),
        ("OTLP/gRPC, TLS", otlp_grpc + tls, grpcs, "none", True),
        ("OTLP/HTTP protobuf", otlp_http, http("/v1/traces", "application/x-protobuf", "proto"), "none"),
        ("OTLP/HTTP protobuf", otlp_http, http("/v1/traces", "application/x-protobuf", "proto"), "gzip"),
        ("OTLP/HTTP protobuf", otlp_http, http("/v1/traces", "application/x-protobuf", "proto"), "zstd"),
        ("OTLP/HTTP JSON", otlp_http, http("/v1/traces", "application/json", "json"), "none"),
        ("OTLP/gRPC", otlp_grpc, grpc, "none"),
        ("OTLP/gRPC", otlp_grpc, grpc, "gzip"),
        ("Zipkin v2 JSON", "zipkin:\n    endpoint: 127.0.0.1:{port}", http("/api/v2/spans", "application/json", "zipkin"), "none"),
        ("Jaeger Thrift/HTTP", "jaeger:\n    protocols:\n      thrift_http:\n        endpoint: 127.0.0.1:{port}",
         http("/api/traces", "application/x-thrift", "jaeger"), "none"),
    ] + [("OTLP/HTTP protobuf" + PROCESSORS_SUFFIX + name, otlp_http, http("/v1/traces", "application/x-protobuf", "proto"), "none", False, chain)
         for name, chain in PROCESSOR_ROWS.items()] + [
        ("OTLP/HTTP protobuf" + LOADBALANCING_SUFFIX, otlp_http, http("/v1/traces", "application/x-protobuf", "proto"), "none", False, None,
         "loadbalancing")]


# Issue 23's gateway: tail_sampling with four policies, as a user of the Collector sets it up
# (YAML under its id in processors:).
def tail_sampling(decision_wait="5s", num_traces=100000):
    return f"""    decision_wait: {decision_wait}
    num_traces: {num_traces}
    policies:
      - {{name: errors, type: status_code, status_code: {{status_codes: [ERROR]}}}}
      - {{name: slow, type: latency, latency: {{threshold_ms: 500}}}}
      - {{name: key-value, type: string_attribute, string_attribute: {{key: attribute.key.0, values: [value-1, value-2]}}}}
      - {{name: baseline, type: probabilistic, probabilistic: {{sampling_percentage: 10}}}}
"""


# Issue 23's agent tier: the `loadbalancing` exporter routing by trace ID to three backends (three
# receivers of the sink), each an `otlp` exporter as the plain row's.
LOADBALANCING_SUFFIX = ", exporter: loadbalancing to 3 backends"


def loadbalancing_exporter(ports, compression):
    hostnames = ", ".join(f"127.0.0.1:{p}" for p in ports)
    return f"""loadbalancing:
    protocol:
      otlp:
        tls:
          insecure: true
        compression: {compression}
    resolver:
      static:
        hostnames: [{hostnames}]"""


PROCESSORS_SUFFIX = ", processors: "
# Processor rows (issue 22): each processor as a user of the Collector would set it up, over the
# bench's spans (attribute.key.0 … 9, names operation-0 … 6, service load-generator).
_RESOURCE = "    attributes:\n      - {key: deployment.environment, value: production, action: upsert}\n"
_ATTRIBUTES = ("    actions:\n      - {key: attribute.key.0, action: hash}\n      - {key: attribute.key.1, action: delete}\n"
               "      - {key: env, value: production, action: insert}\n")
_FILTER = "    traces:\n      span:\n        - 'attributes[\"http.route\"] == \"/healthz\"'\n        - 'name == \"operation-99\"'\n"
_TRANSFORM = ("    trace_statements:\n      - context: span\n        statements:\n"
              "          - 'set(attributes[\"operation\"], name) where kind == SPAN_KIND_SERVER'\n"
              "          - 'replace_pattern(attributes[\"attribute.key.2\"], \"value-([0-9]+)\", \"v$1\")'\n")
# k8sattributes as a user in a cluster sets it up, over kubeapi.KubeAPI (KUBECONFIG set by bench.py):
# the default metadata and a label, found by the connection's address among 500 pods.
_K8S = ("    auth_type: kubeConfig\n    wait_for_metadata: true\n    extract:\n"
        "      labels: [{tag_name: app.label.version, key: version}]\n")
PROCESSOR_ROWS = {
    "k8sattributes": {"k8sattributes": _K8S},
    "resource": {"resource": _RESOURCE},
    "attributes": {"attributes": _ATTRIBUTES},
    "filter": {"filter": _FILTER},
    "transform": {"transform": _TRANSFORM},
    "resource + attributes + filter": {"resource": _RESOURCE, "attributes": _ATTRIBUTES, "filter": _FILTER},
    "k8sattributes + resource + filter": {"k8sattributes": _K8S, "resource": _RESOURCE, "filter": _FILTER},
}


class Swiftlet:
    """Swiftlet under test: RECEIVER -> batch -> otlp exporter (gRPC, COMPRESSION) -> sink."""
    name = "swiftlet"

    def __init__(self, binary, tmp, path, sink, certs, pinned=True):
        self.receiver, receiver, self.target_for, self.compression, *rest = path
        self.tls = bool(rest and rest[0])
        processors = rest[1] if len(rest) > 1 else None
        balanced = len(rest) > 2 and rest[2] == "loadbalancing"
        self.wire = WIRE_COMPRESSION["swiftlet"][self.compression]
        self.path_name = path_name(self.receiver, self.wire)
        self.receiver = self.receiver.split(PROCESSORS_SUFFIX)[0].split(LOADBALANCING_SUFFIX)[0]
        self.port, self.metrics = free_port(), free_port()
        exporter = (loadbalancing_exporter(sink.balanced_ports, self.compression) if balanced else
                    otlp_exporter(sink.tls_port if self.tls else sink.port, self.compression, certs["ca"] if self.tls else None))
        self.config = swiftlet_config(os.path.join(tmp, f"swiftlet-{self.port}.yaml"), receiver.format(port=self.port),
                                      exporter, self.metrics, batch=True, processors=processors)
        self.argv = [binary, "--config", self.config]
        self.log = os.path.join(tmp, f"swiftlet-{self.port}.log")
        self.pinned = pinned
        self.target = self.target_for(self.port)

    def start(self):
        self.proc = Pinned(self.argv, 0, self.log, self.pinned)
        wait_for_port(self.port, self.proc.proc)
        wait_for_port(self.metrics, self.proc.proc)
        return self.proc

    def refused(self):
        """Spans the receiver refused (answered 2xx over gRPC by h2load's count, yet not accepted)."""
        return counter(self.metrics, "otelcol_receiver_refused_spans")

    def accepted(self):
        """Spans the receiver accepted: what must arrive at the sink, exactly. h2load's count of
        2xx answers fell short of it by a few requests now and then at the maximum, and the
        spans it missed were then counted as "twice" in the phase after."""
        return counter(self.metrics, "otelcol_receiver_accepted_spans")


SEED_CONFIG = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "..", "shared",
                           "reference", "deployment", "collector-config.yaml")


class SeedSwiftlet(Swiftlet):
    """Swiftlet with the seed's `collector-config.yaml` exactly as the deployment we replace has it
    (every receiver, no batch, `logging` at `loglevel: debug`, `otlp` with its default gzip), only
    the endpoints moved to free ports with --set: OTLP/HTTP in, the sink as its `otlp` backend."""
    def __init__(self, binary, tmp, files, sink):
        self.receiver, self.compression, self.tls = "OTLP/HTTP protobuf", "gzip", False
        self.wire = WIRE_COMPRESSION["swiftlet"][self.compression]
        self.path_name = "OTLP/HTTP protobuf, the seed's config (gzip out)"
        self.port, self.metrics = free_port(), free_port()
        sets = [f"receivers::otlp::protocols::http::endpoint=127.0.0.1:{self.port}",
                f"receivers::otlp::protocols::grpc::endpoint=127.0.0.1:{free_port()}",
                f"receivers::zipkin::endpoint=127.0.0.1:{free_port()}",
                f"receivers::opencensus::endpoint=127.0.0.1:{free_port()}",
                f"exporters::otlp::endpoint=127.0.0.1:{sink.port}",
                f"service::telemetry::metrics::address=127.0.0.1:{self.metrics}"]
        sets += [f"receivers::jaeger::protocols::{p}::endpoint=127.0.0.1:{free_port()}"
                 for p in ("grpc", "thrift_http", "thrift_compact", "thrift_binary")]
        self.config = SEED_CONFIG
        self.argv = [binary, "--config", SEED_CONFIG] + [a for x in sets for a in ("--set", x)]
        self.log = os.path.join(tmp, f"swiftlet-seed-{self.port}.log")
        self.pinned = True
        self.target = Target(f"http://127.0.0.1:{self.port}/v1/traces", files["proto"], ("content-type: application/x-protobuf",))


def rotel_argv(binary, http_port, grpc_port, exporter_endpoint, compression=ROTEL_COMPRESSION):
    """rotel-agent: OTLP/HTTP and OTLP/gRPC receivers, its OTLP exporter (gRPC) to ENDPOINT."""
    return [binary, "start", "--otlp-http-endpoint", f"127.0.0.1:{http_port}",
            "--otlp-grpc-endpoint", f"127.0.0.1:{grpc_port}", "--exporter", "otlp",
            "--otlp-exporter-endpoint", exporter_endpoint,
            "--otlp-exporter-protocol", "grpc", "--otlp-exporter-compression", compression]


class Rotel:
    """rotel (PyPI, pinned): OTLP/HTTP or OTLP/gRPC in, its OTLP exporter (gRPC, gzip: the only
    compression it puts on the wire, see WIRE_COMPRESSION) out."""
    name = "rotel"

    def __init__(self, binary, tmp, files, grpc, sink_port, pinned=True, compression=ROTEL_COMPRESSION):
        self.receiver = "OTLP/gRPC" if grpc else "OTLP/HTTP protobuf"
        self.compression, self.wire = compression, WIRE_COMPRESSION["rotel"][compression]
        self.path_name = path_name(self.receiver, self.wire)
        http_port, grpc_port = free_port(), free_port()
        self.port = grpc_port if grpc else http_port
        self.argv = rotel_argv(binary, http_port, grpc_port, f"http://127.0.0.1:{sink_port}", compression)
        self.target = (Target(f"http://127.0.0.1:{grpc_port}{GRPC_PATH}", files["grpc"], GRPC_HEADERS, h1=False) if grpc else
                       Target(f"http://127.0.0.1:{http_port}/v1/traces", files["proto"], ("content-type: application/x-protobuf",)))
        self.log = os.path.join(tmp, f"rotel-{self.port}.log")
        self.pinned = pinned

    def start(self):
        self.proc = Pinned(self.argv, 0, self.log, self.pinned)
        wait_for_port(self.port, self.proc.proc)
        return self.proc

    def refused(self):
        return 0


class Nginx:
    """nginx, one process (no master), `return 200` for every POST: it reads and discards the
    body, the least an HTTP/1.1 receiver can do. Unprivileged: as `nobody` when started by root,
    a temporary prefix, a free port."""
    name = "nginx"
    path_name = receiver = "OTLP/HTTP protobuf"
    wire = None  # it exports nothing

    def __init__(self, tmp, files, pinned=True):
        self.prefix = os.path.join(tmp, "nginx")
        os.makedirs(self.prefix, exist_ok=True)
        os.chmod(tmp, 0o755)
        os.chmod(self.prefix, 0o777)
        self.port = free_port()
        conf = write(os.path.join(self.prefix, "nginx.conf"), f"""worker_processes 1;
daemon off;
master_process off;
pid {self.prefix}/nginx.pid;
error_log {self.prefix}/error.log;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_max_body_size 64m;
  client_body_buffer_size 128k;
  client_body_temp_path {self.prefix}/body;
  proxy_temp_path {self.prefix}/proxy;
  fastcgi_temp_path {self.prefix}/fastcgi;
  uwsgi_temp_path {self.prefix}/uwsgi;
  scgi_temp_path {self.prefix}/scgi;
  server {{ listen 127.0.0.1:{self.port}; location / {{ return 200 ""; }} }}
}}
""")
        os.chmod(conf, 0o644)
        drop = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if os.geteuid() == 0 else []
        self.argv = drop + [shutil.which("nginx") or "nginx", "-p", self.prefix, "-e", f"{self.prefix}/error.log", "-c", conf]
        self.target = Target(f"http://127.0.0.1:{self.port}/v1/traces", files["proto"], ("content-type: application/x-protobuf",))
        self.log = os.path.join(tmp, "nginx.log")
        self.pinned = pinned

    def start(self):
        self.proc = Pinned(self.argv, 0, self.log, self.pinned)
        wait_for_port(self.port, self.proc.proc)
        self.proc.single_threaded = len(os.listdir(f"/proc/{self.proc.pid}/task")) == 1
        return self.proc

    def refused(self):
        return 0


class Sink:
    """A second Swiftlet: OTLP/gRPC -> nop, on the load core. It validates each request and counts
    its spans (otelcol_receiver_accepted_spans), building no Python objects."""

    def __init__(self, binary, tmp, certs, pinned=True):
        self.port, self.tls_port, self.metrics = free_port(), free_port(), free_port()
        self.balanced_ports = [free_port() for _ in range(3)]
        balanced = "".join(f"""
  otlp/backend{n}:
    protocols:
      grpc:
        endpoint: 127.0.0.1:{p}
        max_recv_msg_size_mib: 64""" for n, p in enumerate(self.balanced_ports))
        config = swiftlet_config(os.path.join(tmp, "sink.yaml"), f"""otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:{self.port}
        max_recv_msg_size_mib: 64
  otlp/tls:
    protocols:
      grpc:
        endpoint: 127.0.0.1:{self.tls_port}
        max_recv_msg_size_mib: 64{server_tls_yaml(certs, 8)}{balanced}""", "nop:", self.metrics, batch=False)
        # Every receiver into the one pipeline.
        text = open(config).read().replace("receivers: [otlp]", "receivers: [otlp, otlp/tls, otlp/backend0, otlp/backend1, otlp/backend2]")
        write(config, text)
        self.proc = Pinned([binary, "--config", config], 1, os.path.join(tmp, "sink.log"), pinned)
        wait_for_port(self.port, self.proc.proc)
        wait_for_port(self.metrics, self.proc.proc)

    def spans(self):
        return counter(self.metrics, "otelcol_receiver_accepted_spans")


FLOOR_SCRIPT = r"""
import sys, time
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from google.protobuf.internal import api_implementation
body = open(sys.argv[1], "rb").read()
seconds = float(sys.argv[2])
msg, n = ExportTraceServiceRequest(), 0
t0 = time.process_time()
while time.process_time() - t0 < seconds:
    for _ in range(50):
        msg.ParseFromString(body)
    n += 50
cpu = time.process_time() - t0
spans = n * len(msg.resource_spans[0].scope_spans[0].spans)
print(api_implementation.Type(), spans, cpu)
"""


def upb_floor(python, body_file, seconds, pinned=True):
    """The same request decoded by the protobuf package (upb) in a loop on the collector's core:
    (implementation, spans per CPU-second, CPU-s per million spans), or None without protobuf."""
    if not python:
        return None
    argv = (["taskset", "-c", "0"] if pinned else []) + [python, "-c", FLOOR_SCRIPT, body_file, str(seconds)]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    if out.returncode != 0:
        print(f"upb floor skipped: {out.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return None
    kind, spans, cpu = out.stdout.split()
    spans, cpu = int(spans), float(cpu)
    return kind, spans / cpu, cpu / (spans / 1e6)
