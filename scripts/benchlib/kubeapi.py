"""A Kubernetes API stand-in for the k8sattributes rows: plain HTTP (a kubeconfig with an http://
server), a pod list of 500 pods of which one has the load generator's address (127.0.0.1), their
replicasets, and watches that stay open with nothing to report, as on a quiet cluster."""
from __future__ import annotations

import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def _pods(n: int) -> list[dict]:
    pods = []
    for i in range(n):
        ip = "127.0.0.1" if i == 0 else f"10.{i // 250}.{i % 250}.7"
        rs = f"app-{i % 50}-5f8d9c7b6a"
        pods.append({"metadata": {"name": f"{rs}-{i:05d}", "namespace": f"ns-{i % 10}", "uid": f"uid-pod-{i}",
                                  "creationTimestamp": "2026-12-01T10:00:00Z", "resourceVersion": str(100 + i),
                                  "labels": {"app": f"app-{i % 50}", "version": "v1"},
                                  "ownerReferences": [{"kind": "ReplicaSet", "name": rs, "uid": f"uid-{rs}", "controller": True}]},
                     "spec": {"nodeName": f"node-{i % 20}", "containers": [{"name": "app", "image": f"registry.example.com/app-{i % 50}:1.{i % 7}"}]},
                     "status": {"podIP": ip, "startTime": "2026-12-01T10:00:01Z",
                                "containerStatuses": [{"name": "app", "containerID": f"containerd://{i:064x}", "restartCount": 0}]}})
    return pods


def _replicasets() -> list[dict]:
    return [{"metadata": {"name": f"app-{i}-5f8d9c7b6a", "uid": f"uid-app-{i}-5f8d9c7b6a",
                          "ownerReferences": [{"kind": "Deployment", "name": f"app-{i}", "uid": f"uid-d-{i}", "controller": True}]}}
            for i in range(50)]


class KubeAPI:
    def __init__(self, tmp: str, port: int):
        self.stopping = threading.Event()
        lists = {"/api/v1/pods": json.dumps({"kind": "PodList", "metadata": {"resourceVersion": "1000"}, "items": _pods(500)}).encode(),
                 "/apis/apps/v1/replicasets": json.dumps({"kind": "ReplicaSetList", "metadata": {"resourceVersion": "1000"},
                                                          "items": _replicasets()}).encode()}
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                path, _, query = self.path.partition("?")
                body = lists.get(path)
                if body is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                if "watch=1" in query.split("&"):
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    self.wfile.flush()
                    api.stopping.wait(600)
                    return
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.kubeconfig = os.path.join(tmp, "kubeconfig")
        with open(self.kubeconfig, "w") as f:
            f.write(f"""apiVersion: v1
kind: Config
current-context: bench
clusters: [{{name: bench, cluster: {{server: "http://127.0.0.1:{port}"}}}}]
contexts: [{{name: bench, context: {{cluster: bench, user: bench}}}}]
users: [{{name: bench, user: {{token: bench-token}}}}]
""")

    def stop(self):
        self.stopping.set()
        self.server.shutdown()
        self.server.server_close()
