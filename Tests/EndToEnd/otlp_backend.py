"""Stand-ins for Grafana Tempo: an OTLP/gRPC server (grpcio + opentelemetry-proto) and an OTLP/HTTP
server, each recording every span it receives so a test can check that all arrived exactly once.
They can be told to fail (UNAVAILABLE / 503) or to hang, to exercise retry and back-pressure."""
import gzip
import http.server
import threading
import time
from concurrent import futures

import grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc


class Recorder:
    """Spans received, with the metadata of each request."""

    def __init__(self):
        self.lock = threading.Lock()
        self.requests = []  # (metadata dict, ExportTraceServiceRequest)
        self.fail_next = 0  # answer this many requests with a retryable error
        self.fail_status = None  # answer every request with this error while set
        self.hang_seconds = 0.0

    def add(self, metadata, request):
        with self.lock:
            self.requests.append((metadata, request))

    def spans(self):
        with self.lock:
            return [(rs, ss, span) for _, req in self.requests
                    for rs in req.resource_spans for ss in rs.scope_spans for span in ss.spans]

    def span_count(self):
        return len(self.spans())

    def wait_for_spans(self, n, timeout=20.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.span_count() >= n:
                return True
            time.sleep(0.05)
        return self.span_count() >= n

    def take_failure(self):
        with self.lock:
            if self.fail_status is not None:
                return self.fail_status
            if self.fail_next > 0:
                self.fail_next -= 1
                return "unavailable"
            return None


class _TraceService(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self, recorder):
        self.recorder = recorder

    def Export(self, request, context):
        if self.recorder.hang_seconds:
            time.sleep(self.recorder.hang_seconds)
        failure = self.recorder.take_failure()
        if failure == "unavailable":
            context.abort(grpc.StatusCode.UNAVAILABLE, "backend unavailable (test)")
        if failure == "invalid":
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "bad data (test)")
        self.recorder.add(dict(context.invocation_metadata()), request)
        return trace_service_pb2.ExportTraceServiceResponse()


def _hex_ids_to_base64(node):
    """OTLP/JSON writes ids as hex (OTLP specification, JSON Protobuf Encoding); protobuf's JSON
    parser expects base64 for bytes fields."""
    import base64
    if isinstance(node, dict):
        return {k: (base64.b64encode(bytes.fromhex(v)).decode()
                    if k in ("traceId", "spanId", "parentSpanId") and isinstance(v, str) else _hex_ids_to_base64(v))
                for k, v in node.items()}
    if isinstance(node, list):
        return [_hex_ids_to_base64(x) for x in node]
    return node


class GRPCBackend:
    """`credentials`: grpc.ssl_server_credentials for a TLS backend (a remote Tempo); None: plain."""

    def __init__(self, port=0, credentials=None, recorder=None):
        self.recorder = recorder or Recorder()
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=16),
                                  options=[("grpc.max_receive_message_length", 64 << 20)])
        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(_TraceService(self.recorder), self.server)
        if credentials is None:
            self.port = self.server.add_insecure_port(f"127.0.0.1:{port}")
        else:
            self.port = self.server.add_secure_port(f"127.0.0.1:{port}", credentials)
        self.server.start()

    def stop(self):
        self.server.stop(grace=None)


class HTTPBackend:
    """OTLP/HTTP: POST /v1/traces with protobuf or JSON (JSON is recorded raw), gzip or zstd."""

    def __init__(self, ssl_context=None):
        """`ssl_context`: a server-side ssl.SSLContext for HTTPS; None: plain HTTP."""
        self.recorder = Recorder()
        self.json_bodies = []
        backend = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                encoding = self.headers.get("Content-Encoding", "")
                if encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding == "zstd":
                    import zstandard
                    body = zstandard.ZstdDecompressor().decompressobj().decompress(body)
                failure = backend.recorder.take_failure()
                if failure is not None:
                    self.send_response(503)
                    self.send_header("Retry-After", "1")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                meta = {k.lower(): v for k, v in self.headers.items()}
                meta["path"] = self.path
                if self.headers.get("Content-Type") == "application/json":
                    import json
                    from google.protobuf import json_format
                    doc = json.loads(body)
                    backend.json_bodies.append(json.loads(body))
                    request = json_format.ParseDict(_hex_ids_to_base64(doc), trace_service_pb2.ExportTraceServiceRequest())
                else:
                    request = trace_service_pb2.ExportTraceServiceRequest.FromString(body)
                backend.recorder.add(meta, request)
                out = trace_service_pb2.ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if ssl_context is not None:
            self.server.socket = ssl_context.wrap_socket(self.server.socket, server_side=True)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class StalledBackend:
    """Accepts TCP connections and reads what arrives, but never answers: not even the HTTP/2
    server preface. `stop` closes the listener and every accepted connection."""

    def __init__(self, port=0):
        import socket
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", port))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        self.accepted = []
        self.bytes_received = 0
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        import selectors
        sel = selectors.DefaultSelector()
        sel.register(self.sock, selectors.EVENT_READ)
        while self.running:
            for key, _ in sel.select(timeout=0.1):
                if key.fileobj is self.sock:
                    try:
                        conn, _ = self.sock.accept()
                    except OSError:
                        continue
                    conn.setblocking(False)
                    self.accepted.append(conn)
                    sel.register(conn, selectors.EVENT_READ)
                else:
                    try:
                        data = key.fileobj.recv(65536)
                    except OSError:
                        data = b""
                    if data:
                        self.bytes_received += len(data)
                    else:
                        sel.unregister(key.fileobj)
        sel.close()

    def stop(self):
        self.running = False
        self.thread.join(timeout=5)
        for c in self.accepted:
            c.close()
        self.sock.close()
