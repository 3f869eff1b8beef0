"""The trace viewer (issue 13, item 4) in a real browser: Debian's chromium, headless, driven
through the Chrome DevTools Protocol.

Swiftlet runs with an OTLP/HTTP receiver, the `tracestore` exporter and the `trace_query`
extension on free ports. The OpenTelemetry Python SDK sends, over OTLP/HTTP, one trace across two
services with an orphan span (its parent span id is not in the trace), a child that starts before
its parent (clock skew), an error span with events and a link, and a span whose name and attribute
are HTML that must stay text; plus a second trace the filtered search must not return.

The browser opens the viewer, picks the service and types a span name (the form shows the TraceQL it
builds), clicks Search, checks the result list, clicks the trace, and checks in the DOM that every
span is shown, that the orphan and the skewed child carry their marks, that a span's details show
its attributes, events and resource, and that nothing sent ran as markup. A typed TraceQL query and
a direct link (`#/trace/<id>`) are checked too. A screenshot is saved under pytest's tmp_path and its
path printed. Chromium is stopped by its PID.
"""
from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import Ports, base_config, free_port, http_request, wait_until

CHROMIUM = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser")) if p), None)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed "
                                "(make test installs it: DEB_PACKAGES)")

CDP_TIMEOUT = 15  # seconds for one DevTools command
PAGE_TIMEOUT = 20  # seconds for the page to reach a state


# --------------------------------------------------------------------------------------------
# A small Chrome DevTools Protocol client
# --------------------------------------------------------------------------------------------

class Browser:
    """One headless chromium with its own profile directory, and one page driven over CDP."""

    def __init__(self, workdir: Path, width: int = 1400, height: int = 900):
        import websocket  # websocket-client (PY_PACKAGES)

        self.workdir = workdir
        profile = workdir / "chromium-profile"
        profile.mkdir(parents=True, exist_ok=True)
        port_file = profile / "DevToolsActivePort"
        port_file.unlink(missing_ok=True)  # a stale one names a port nobody listens on
        self.log_path = workdir / "chromium.log"
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--no-first-run", "--no-default-browser-check", "--disable-extensions",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
             f"--user-data-dir={profile}", f"--window-size={width},{height}", "about:blank"],
            stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.ws = None
        self.events: list[dict] = []
        self._next_id = 0
        try:
            def port():
                if self.proc.poll() is not None:
                    raise AssertionError(f"chromium exited with {self.proc.returncode}: {self.log()[-2000:]}")
                text = port_file.read_text() if port_file.exists() else ""
                return int(text.split()[0]) if text.strip() else None

            self.port = wait_until(port, PAGE_TIMEOUT, 0.1, "chromium's DevToolsActivePort")

            def page_ws():
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json/list", timeout=2) as r:
                        targets = json.load(r)
                except OSError:
                    return None
                return next((t["webSocketDebuggerUrl"] for t in targets if t.get("type") == "page"), None)

            url = wait_until(page_ws, PAGE_TIMEOUT, 0.1, "a page target")
            self.ws = websocket.create_connection(url, timeout=CDP_TIMEOUT, suppress_origin=True)
            self.send("Page.enable")
            self.send("Runtime.enable")
        except BaseException:
            self.close()
            raise

    def log(self) -> str:
        return self.log_path.read_bytes().decode("utf-8", "replace") if self.log_path.exists() else ""

    def send(self, method: str, **params):
        """Sends one command and returns its result; events that arrive meanwhile are kept."""
        self._next_id += 1
        mid = self._next_id
        self.ws.send(json.dumps({"id": mid, "method": method, "params": params}))
        deadline = time.monotonic() + CDP_TIMEOUT
        for _ in range(100_000):
            if time.monotonic() > deadline:
                break
            msg = json.loads(self.ws.recv())
            if msg.get("id") == mid:
                if "error" in msg:
                    raise AssertionError(f"CDP {method} failed: {msg['error']}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)
        raise AssertionError(f"CDP {method}: no answer within {CDP_TIMEOUT}s")

    def eval(self, expression: str, await_promise: bool = False):
        r = self.send("Runtime.evaluate", expression=expression, returnByValue=True,
                      awaitPromise=await_promise)
        if "exceptionDetails" in r:
            raise AssertionError(f"page threw evaluating {expression[:200]!r}: {r['exceptionDetails']}")
        return r.get("result", {}).get("value")

    def wait_for(self, expression: str, what: str, timeout: float = PAGE_TIMEOUT):
        def check():
            try:
                return self.eval(expression)
            except AssertionError:
                return None
        try:
            return wait_until(check, timeout, 0.1, what)
        except AssertionError as e:
            state = self.eval("JSON.stringify({hash: location.hash, view: document.body && document.body.dataset.view,"
                              " state: document.body && document.body.dataset.state,"
                              " status: (document.getElementById('status')||{}).textContent,"
                              " error: (document.getElementById('error')||{}).textContent})")
            raise AssertionError(f"{e}\npage: {state}\nJS errors: {self.js_errors()}") from None

    def navigate(self, url: str) -> None:
        self.send("Page.navigate", url=url)
        self.wait_for("document.readyState === 'complete' && location.href.startsWith(" + json.dumps(url.split('#')[0]) + ")",
                      f"{url} to load")

    def center(self, selector: str) -> tuple[float, float]:
        r = self.eval("(() => { const e = document.querySelector(" + json.dumps(selector) + ");"
                      " if (!e) return null; e.scrollIntoView({block: 'center'});"
                      " const r = e.getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()")
        assert r, f"no element matches {selector!r}"
        return r[0], r[1]

    def click(self, selector: str) -> None:
        """A real mouse click at the element's centre (press and release of the left button)."""
        x, y = self.center(selector)
        self.send("Input.dispatchMouseEvent", type="mouseMoved", x=x, y=y)
        for kind in ("mousePressed", "mouseReleased"):
            self.send("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)

    def type(self, selector: str, text: str) -> None:
        """Clicks into a field, selects what it holds and types `text` over it."""
        self.click(selector)
        self.eval("document.querySelector(" + json.dumps(selector) + ").select()")
        self.send("Input.insertText", text=text)

    def key(self, key: str, code: str, key_code: int) -> None:
        for kind in ("keyDown", "keyUp"):
            self.send("Input.dispatchKeyEvent", type=kind, key=key, code=code,
                      windowsVirtualKeyCode=key_code, nativeVirtualKeyCode=key_code)

    def screenshot(self, path: Path) -> Path:
        """The whole page as PNG."""
        m = self.send("Page.getLayoutMetrics")
        size = m.get("cssContentSize") or m["contentSize"]
        r = self.send("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                      clip={"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 4000), "scale": 1})
        path.write_bytes(base64.b64decode(r["data"]))
        return path

    def js_errors(self) -> list[str]:
        out = []
        for e in self.events:
            if e["method"] == "Runtime.exceptionThrown":
                d = e["params"]["exceptionDetails"]
                out.append(str((d.get("exception") or {}).get("description") or d.get("text")))
            elif e["method"] == "Runtime.consoleAPICalled" and e["params"].get("type") == "error":
                out.append(" ".join(str(a.get("value", a.get("description", ""))) for a in e["params"]["args"]))
        return out

    def close(self) -> None:
        if self.ws is not None:
            try:
                self.ws.close()
            except Exception:
                pass
            self.ws = None
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        if not self._log.closed:
            self._log.close()


@pytest.fixture
def browser(tmp_path):
    b = Browser(tmp_path / "browser")
    yield b
    b.close()


# --------------------------------------------------------------------------------------------
# The trace a real client sends
# --------------------------------------------------------------------------------------------

XSS_NAME = '<img src=x onerror="window.__xss=1">'
XSS_VALUE = "<script>window.__xss=2</script>"


def send_traces(otlp_port: int) -> dict:
    """Sends the test traces with the SDK's OTLP/HTTP exporter, one request per service (so the
    store joins one trace from two requests); returns their ids (hex) and names."""
    from opentelemetry import trace as trace_api
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import Link, NonRecordingSpan, SpanContext, SpanKind, Status, StatusCode, TraceFlags

    endpoint = f"http://127.0.0.1:{otlp_port}/v1/traces"

    memories = []

    def provider(service: str) -> TracerProvider:
        p = TracerProvider(resource=Resource.create({"service.name": service, "host.name": "viewer-host"}))
        memories.append(InMemorySpanExporter())
        p.add_span_processor(SimpleSpanProcessor(memories[-1]))
        return p

    front, pay = provider("viewer-frontend"), provider("viewer-payments")
    tf, tp = front.get_tracer("viewer.frontend", "1.2.3"), pay.get_tracer("viewer.payments")
    t0 = time.time_ns() - 2_000_000_000
    ms = 1_000_000

    root = tf.start_span("GET /checkout", kind=SpanKind.SERVER, start_time=t0,
                         attributes={"http.method": "GET", "http.status_code": 200})
    root_ctx = trace_api.set_span_in_context(root)
    client = tf.start_span("POST /charge", context=root_ctx, kind=SpanKind.CLIENT, start_time=t0 + 20 * ms)
    client_ctx = trace_api.set_span_in_context(client)
    # The server side of the call, on a host whose clock is 15 ms behind: starts before its parent.
    charge = tp.start_span("charge card", context=client_ctx, kind=SpanKind.SERVER, start_time=t0 + 5 * ms,
                           attributes={"payment.amount": 42.5, "payment.currency": "EUR"})
    charge.add_event("card validated", {"card.brand": "visa"}, timestamp=t0 + 30 * ms)
    charge.set_status(Status(StatusCode.ERROR, "card declined"))
    charge.end(end_time=t0 + 90 * ms)
    client.end(end_time=t0 + 110 * ms)
    # A span whose parent never arrives: its parent context names a span id not in the trace.
    missing_parent = SpanContext(trace_id=root.get_span_context().trace_id, span_id=0x00DEAD00BEEF0001,
                                 is_remote=True, trace_flags=TraceFlags(TraceFlags.SAMPLED))
    orphan = tp.start_span("ledger write", context=trace_api.set_span_in_context(NonRecordingSpan(missing_parent)),
                           kind=SpanKind.INTERNAL, start_time=t0 + 120 * ms,
                           links=[Link(client.get_span_context(), {"link.reason": "follows"})])
    orphan.end(end_time=t0 + 160 * ms)
    odd = tf.start_span(XSS_NAME, context=root_ctx, start_time=t0 + 170 * ms, attributes={"note": XSS_VALUE})
    odd.end(end_time=t0 + 190 * ms)
    root.end(end_time=t0 + 200 * ms)

    other = tf.start_span("GET /health", kind=SpanKind.SERVER, start_time=t0 + 300 * ms)
    other.end(end_time=t0 + 301 * ms)

    for memory in memories:
        exporter = OTLPSpanExporter(endpoint=endpoint, timeout=10)
        exporter._MAX_RETRY_TIMEOUT = 4  # retries after 1 s and 2 s, then gives up: bounded
        result = exporter.export(memory.get_finished_spans())
        exporter.shutdown()
        assert result == SpanExportResult.SUCCESS, f"the OTLP/HTTP export failed: {result}"
    front.shutdown()
    pay.shutdown()
    hexid = lambda n, w: format(n, f"0{w}x")  # noqa: E731
    return {
        "trace_id": hexid(root.get_span_context().trace_id, 32),
        "other_trace_id": hexid(other.get_span_context().trace_id, 32),
        "names": ["GET /checkout", "POST /charge", "charge card", "ledger write", XSS_NAME],
        "ids": {s.name: hexid(s.get_span_context().span_id, 16) for s in (root, client, charge, orphan, odd)},
        "missing_parent": hexid(missing_parent.span_id, 16),
    }


def same_trace_id(a: str, b: str) -> bool:
    """Tempo may print trace ids without leading zeros."""
    return a.lower().lstrip("0") == b.lower().lstrip("0")


# --------------------------------------------------------------------------------------------
# The test
# --------------------------------------------------------------------------------------------

def viewer_config(ports: Ports, query_port: int) -> dict:
    cfg = base_config(ports, processors=())
    cfg["exporters"] = {"tracestore": {}}
    cfg["extensions"]["trace_query"] = {"endpoint": f"127.0.0.1:{query_port}"}
    cfg["service"]["extensions"].append("trace_query")
    cfg["service"]["pipelines"]["traces"]["exporters"] = ["tracestore"]
    return cfg


def test_viewer_search_open_trace_marks_orphan_and_skew(swiftlet_factory, browser, tmp_path):
    ports, qport = Ports(), free_port()
    sw = swiftlet_factory(viewer_config(ports, qport), ports=ports)
    sent = send_traces(ports.otlp)
    wait_stored(qport, sent)
    shot = check_viewer(browser, f"http://127.0.0.1:{qport}/", sent, tmp_path)
    print(f"\nviewer screenshot: {shot}")
    assert sw.alive()


def wait_stored(qport: int, sent: dict) -> None:
    tid = sent["trace_id"]

    def stored():
        status, _, body = http_request("GET", "127.0.0.1", qport, f"/api/traces/{tid}")
        return status == 200 and body.count(b'"spanId"') >= len(sent["names"])
    wait_until(stored, 10, 0.1, f"trace {tid} in the store")


def check_viewer(b: Browser, base: str, sent: dict, tmp_path: Path) -> Path:
    """Drives the viewer at `base` through search, result list and trace; returns the screenshot."""
    tid = sent["trace_id"]
    b.navigate(base)
    b.wait_for("document.body.dataset.state === 'ready'", "the first search")
    listed = b.eval("[...document.querySelectorAll('#result-body tr.result')].map(r => r.dataset.traceId)")
    for want in (tid, sent["other_trace_id"]):
        assert any(same_trace_id(x, want) for x in listed), f"{want} not in the first listing {listed}"
    b.wait_for("[...document.querySelectorAll('#f-service option')].some(o => o.value === 'viewer-payments')",
               "the service list")

    # The form: pick the service, type a span name; the TraceQL box shows what the form builds.
    b.eval("(() => { const s = document.getElementById('f-service'); s.value = 'viewer-frontend';"
           " s.dispatchEvent(new Event('change', {bubbles: true})); })()")
    b.type("#f-name", "GET /checkout")
    query = b.eval("document.getElementById('f-q').value")
    assert query == '{ resource.service.name="viewer-frontend" && name="GET /checkout" }', query
    b.eval("document.body.dataset.state = 'submitted'")
    b.click("#btn-search")
    b.wait_for("document.body.dataset.state === 'ready'", "the search results")
    assert "#/search?" in b.eval("location.hash") and "checkout" in b.eval("decodeURIComponent(location.hash)")
    rows = b.eval("[...document.querySelectorAll('#result-body tr.result')].map(r => "
                  "[r.dataset.traceId, r.cells[1].textContent, r.cells[2].textContent])")
    assert len(rows) == 1 and same_trace_id(rows[0][0], tid), f"results {rows}, expected only {tid}"
    assert rows[0][1] == "viewer-frontend" and rows[0][2] == "GET /checkout", rows

    # A typed TraceQL query, run with Enter: the error span's trace only.
    b.type("#f-q", "{ status=error && resource.service.name=\"viewer-payments\" }")
    b.eval("document.body.dataset.state = 'submitted'")
    b.key("Enter", "Enter", 13)
    b.wait_for("document.body.dataset.state === 'ready'", "the TraceQL results")
    ids = b.eval("[...document.querySelectorAll('#result-body tr.result')].map(r => r.dataset.traceId)")
    assert len(ids) == 1 and same_trace_id(ids[0], tid), f"TraceQL results {ids}"

    # Open the trace by clicking its row.
    b.click("#result-body tr.result")
    b.wait_for("document.body.dataset.view === 'trace' && document.body.dataset.state === 'ready'"
               " && !document.getElementById('trace').hidden", "the trace view")
    assert b.eval("location.hash").startswith("#/trace/")
    shown = b.eval("[...document.querySelectorAll('#waterfall .span-row')].map(r => ({id: r.dataset.spanId,"
                   " name: r.querySelector('.span-name').textContent, cls: r.className,"
                   " badges: [...r.querySelectorAll('.badge')].map(x => [x.className, x.textContent, x.title])}))")
    by_id = {s["id"]: s for s in shown}
    assert sorted(s["name"] for s in shown) == sorted(sent["names"]), shown
    assert set(by_id) == set(sent["ids"].values()), shown

    orphan = by_id[sent["ids"]["ledger write"]]
    assert "orphan" in orphan["cls"].split(), orphan
    assert any("orphan" in c and t == f"orphan: parent {sent['missing_parent']} not in trace"
               for c, _, t in orphan["badges"]), orphan
    skewed = by_id[sent["ids"]["charge card"]]
    assert "skew" in skewed["cls"].split(), skewed
    assert any("skew" in c and t.startswith("starts before its parent by 15 ms") for c, _, t in skewed["badges"]), skewed
    for name in ("GET /checkout", "POST /charge", XSS_NAME):
        s = by_id[sent["ids"][name]]
        assert "orphan" not in s["cls"] and "skew" not in s["cls"], s
    assert "error" in skewed["cls"].split(), skewed
    warn = b.eval("document.getElementById('trace-warn').textContent")
    assert "1 orphan span" in warn and "1 span starts before its parent" in warn, warn

    # The waterfall: the skewed child's bar starts left of its parent's; the root spans the trace.
    bars = b.eval("Object.fromEntries([...document.querySelectorAll('#waterfall .span-row')].map(r =>"
                  " [r.dataset.spanId, parseFloat(r.querySelector('.bar').style.left)]))")
    assert bars[sent["ids"]["charge card"]] < bars[sent["ids"]["POST /charge"]], bars

    # Details of the error span: attributes, event, status, resource.
    b.click(f"#waterfall .span-row[data-span-id='{sent['ids']['charge card']}'] .span-name")
    details = b.wait_for(f"(() => {{ const d = document.querySelector(\".span-details[data-span-id='{sent['ids']['charge card']}']\");"
                         " return d && !d.hidden && d.textContent; })()", "the span's details")
    for text in ("payment.currency", "EUR", "card validated", "+25 ms", "card.brand", "error: card declined",
                 "viewer-payments", "viewer-host", "server", "starts before its parent"):
        assert text in details, f"{text!r} not in the details: {details[:1500]}"
    b.click(f"#waterfall .span-row[data-span-id='{sent['ids']['ledger write']}'] .span-name")
    details = b.wait_for(f"(() => {{ const d = document.querySelector(\".span-details[data-span-id='{sent['ids']['ledger write']}']\");"
                         " return d && !d.hidden && d.textContent; })()", "the orphan's details")
    assert sent["ids"]["POST /charge"] in details and "link.reason" in details, details[:1500]
    assert f"orphan: parent {sent['missing_parent']} not in trace" in details, details[:1500]

    # What a client sent stays text.
    b.click(f"#waterfall .span-row[data-span-id='{sent['ids'][XSS_NAME]}'] .span-name")
    b.wait_for(f"document.querySelector(\".span-details[data-span-id='{sent['ids'][XSS_NAME]}']\").textContent.includes('window.__xss=2')",
               "the odd span's attribute as text")
    assert b.eval("typeof window.__xss") == "undefined"
    assert b.eval("document.querySelectorAll('#waterfall img, #waterfall script').length") == 0

    shot = b.screenshot(tmp_path / "viewer-trace.png")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000

    # A link to the trace works on its own, and an unknown id says so.
    b.navigate("about:blank")
    b.navigate(base + "#/trace/" + tid)
    b.wait_for("document.body.dataset.view === 'trace' && document.body.dataset.state === 'ready'"
               f" && document.querySelectorAll('#waterfall .span-row').length === {len(sent['names'])}",
               "the linked trace")
    b.navigate(base + "#/trace/" + "ab" * 16)
    b.wait_for("document.body.dataset.state === 'error' && document.getElementById('error').textContent.includes('not found')",
               "the unknown trace's message")

    assert b.js_errors() == [], b.js_errors()
    return shot
