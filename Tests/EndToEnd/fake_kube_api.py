"""A Kubernetes API server written for the tests: HTTPS with its own CA, a service-account token it
checks, list (with resourceVersion) and chunked watch streams of pods, replicasets and namespaces
in the JSON the real API server writes. A test changes objects while collectors watch, drops every
open watch, makes old resource versions expire (an ERROR event with a 410 Status, as the API server
does after compaction) or stops the server."""
from __future__ import annotations

import copy
import json
import ssl
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from conftest import free_port
from tls_certs import Authority

PATHS = {"/api/v1/pods": "pods", "/apis/apps/v1/replicasets": "replicasets", "/api/v1/namespaces": "namespaces",
         "/apis/discovery.k8s.io/v1/namespaces/observability/endpointslices": "endpointslices"}
KINDS = {"pods": ("PodList", "v1"), "replicasets": ("ReplicaSetList", "apps/v1"), "namespaces": ("NamespaceList", "v1"),
         "endpointslices": ("EndpointSliceList", "discovery.k8s.io/v1")}


def pod(name: str, ip: str, namespace: str = "default", uid: str | None = None, labels: dict | None = None,
        owner: tuple[str, str, str] | None = None, image: str = "docker.io/istio/examples-bookinfo:1.20.2",
        start: str = "2026-12-01T10:00:00Z", node: str = "kind-worker") -> dict:
    meta = {"name": name, "namespace": namespace, "uid": uid or f"uid-{name}", "creationTimestamp": start,
            "labels": labels or {}, "annotations": {"kubectl.kubernetes.io/restartedAt": start}}
    if owner:
        kind, owner_name, owner_uid = owner
        meta["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": kind, "name": owner_name, "uid": owner_uid,
                                    "controller": True, "blockOwnerDeletion": True}]
    return {"kind": "Pod", "apiVersion": "v1", "metadata": meta,
            "spec": {"nodeName": node, "containers": [{"name": "app", "image": image}]},
            "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}], "startTime": start,
                       "containerStatuses": [{"name": "app", "image": image, "ready": True, "restartCount": 0,
                                              "containerID": f"containerd://{name}-c0ffee"}]}}


def replicaset(name: str, deployment: str, namespace: str = "default") -> dict:
    return {"kind": "ReplicaSet", "apiVersion": "apps/v1",
            "metadata": {"name": name, "namespace": namespace, "uid": f"uid-{name}",
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": deployment,
                                              "uid": f"uid-{deployment}", "controller": True}]}}


def endpointslice(name: str, service: str, endpoints: list[tuple[str, str, bool]], port: int,
                  namespace: str = "observability") -> dict:
    """An EndpointSlice as the EndpointSlice controller writes one; `endpoints`: (ip, hostname, ready)."""
    return {"kind": "EndpointSlice", "apiVersion": "discovery.k8s.io/v1", "addressType": "IPv4",
            "metadata": {"name": name, "namespace": namespace, "uid": f"uid-{name}",
                         "labels": {"kubernetes.io/service-name": service, "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"}},
            "endpoints": [{"addresses": [ip], "hostname": host, "conditions": {"ready": ready, "serving": ready, "terminating": not ready},
                           "targetRef": {"kind": "Pod", "name": host, "namespace": namespace}} for ip, host, ready in endpoints],
            "ports": [{"name": "otlp-grpc", "port": port, "protocol": "TCP"}]}


def namespace(name: str, labels: dict | None = None) -> dict:
    return {"kind": "Namespace", "apiVersion": "v1", "metadata": {"name": name, "uid": f"uid-ns-{name}", "labels": labels or {}}}


class FakeKubeAPI:
    def __init__(self, directory: Path, token: str = "service-account-token-0"):
        directory.mkdir(parents=True, exist_ok=True)
        self.token = token
        self.ca = Authority(directory, "kube-ca")
        issued = self.ca.issue("kube-apiserver", "kube-apiserver", dns=("kubernetes.default.svc", "localhost"), ips=("127.0.0.1",))
        # The service-account volume as the kubelet mounts it.
        self.account_dir = directory / "serviceaccount"
        self.account_dir.mkdir(exist_ok=True)
        (self.account_dir / "token").write_text(token)
        (self.account_dir / "ca.crt").write_bytes(self.ca.path.read_bytes())
        (self.account_dir / "namespace").write_text("observability")
        self.cond = threading.Condition()
        self.rv = 100
        self.objects: dict[str, dict[str, dict]] = {kind: {} for kind in KINDS}
        self.events: list[tuple[int, str, str, dict]] = []  # (rv, kind, type, object)
        self.expired_below = 0
        self.generation = 0  # bumped to end every open watch
        self.requests: list[tuple[str, str]] = []  # (path with query, Authorization)
        self.refused = 0
        self.port = free_port()
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(issued.cert), str(issued.key))
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                api._serve(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    # The collector's side.

    def environment(self) -> dict[str, str]:
        return {"KUBERNETES_SERVICE_HOST": "127.0.0.1", "KUBERNETES_SERVICE_PORT": str(self.port),
                "SWIFTLET_K8S_SERVICE_ACCOUNT_DIR": str(self.account_dir)}

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        url = urllib.parse.urlsplit(h.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        auth = h.headers.get("Authorization", "")
        with self.cond:
            self.requests.append((h.path, auth))
        if auth != f"Bearer {self.token}":
            with self.cond:
                self.refused += 1
            return self._send_json(h, 401, self._status(401, "Unauthorized", "Unauthorized"))
        kind = PATHS.get(url.path)
        if kind is None:
            return self._send_json(h, 404, self._status(404, "NotFound", f"the server could not find the requested resource {url.path}"))
        if query.get("watch") in ("1", "true"):
            return self._watch(h, kind, int(query.get("resourceVersion") or 0), float(query.get("timeoutSeconds") or 60))
        with self.cond:
            items = [copy.deepcopy(o) for o in self.objects[kind].values()]
            rv = self.rv
        list_kind, version = KINDS[kind]
        self._send_json(h, 200, {"kind": list_kind, "apiVersion": version, "metadata": {"resourceVersion": str(rv)}, "items": items})

    def _watch(self, h, kind: str, since: int, timeout: float) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        deadline = time.monotonic() + min(timeout, 120)
        with self.cond:
            generation = self.generation
            if since < self.expired_below:
                gone = {"type": "ERROR", "object": self._status(410, "Expired", f"too old resource version: {since} ({self.rv})")}
                self._chunk(h, [gone])
                return self._end(h)
        while True:
            with self.cond:
                pending = [e for e in self.events if e[0] > since and e[1] == kind]
                if not pending:
                    self.cond.wait(timeout=0.2)
                    if self.generation != generation:
                        return self._drop(h)
                    if time.monotonic() > deadline:
                        return self._end(h)
                    continue
            since = pending[-1][0]
            try:
                self._chunk(h, [{"type": t, "object": o} for _, _, t, o in pending])
            except OSError:
                return

    @staticmethod
    def _chunk(h, events) -> None:
        data = b"".join(json.dumps(e).encode() + b"\n" for e in events)
        h.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        h.wfile.flush()

    @staticmethod
    def _end(h) -> None:
        try:
            h.wfile.write(b"0\r\n\r\n")
            h.wfile.flush()
        except OSError:
            pass

    @staticmethod
    def _drop(h) -> None:
        """Ends the stream without its last chunk: a dropped connection, as a load balancer does."""
        h.close_connection = True
        try:
            h.connection.shutdown(2)
        except OSError:
            pass

    @staticmethod
    def _status(code: int, reason: str, message: str) -> dict:
        return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure", "message": message,
                "reason": reason, "code": code}

    @staticmethod
    def _send_json(h, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    # The test's side.

    def put(self, kind: str, obj: dict) -> None:
        """Adds or changes an object; open watches see ADDED or MODIFIED."""
        with self.cond:
            self.rv += 1
            obj = copy.deepcopy(obj)
            obj["metadata"]["resourceVersion"] = str(self.rv)
            key = obj["metadata"]["uid"]
            event = "MODIFIED" if key in self.objects[kind] else "ADDED"
            self.objects[kind][key] = obj
            self.events.append((self.rv, kind, event, obj))
            self.cond.notify_all()

    def delete(self, kind: str, uid: str) -> None:
        with self.cond:
            self.rv += 1
            obj = self.objects[kind].pop(uid)
            obj["metadata"]["resourceVersion"] = str(self.rv)
            self.events.append((self.rv, kind, "DELETED", obj))
            self.cond.notify_all()

    def put_silently(self, kind: str, obj: dict) -> None:
        """Changes an object with no watch event: only a fresh list shows it (what a client
        whose version expired must do)."""
        with self.cond:
            self.rv += 1
            obj = copy.deepcopy(obj)
            obj["metadata"]["resourceVersion"] = str(self.rv)
            self.objects[kind][obj["metadata"]["uid"]] = obj

    def drop_watches(self) -> None:
        with self.cond:
            self.generation += 1
            self.cond.notify_all()

    def expire_history(self) -> None:
        """Every version before the current one is compacted away: a watch resumed from one gets 410."""
        with self.cond:
            self.expired_below = self.rv
            self.events.clear()
            self.generation += 1
            self.cond.notify_all()

    def count(self, predicate) -> int:
        with self.cond:
            return sum(1 for path, _ in self.requests if predicate(path))

    def stop(self) -> None:
        self.drop_watches()
        self.server.shutdown()
        self.server.server_close()
