"""Shared fixtures and helpers for Swiftlet's end-to-end tests.

The tests start the built binary ($SWIFTLET_BIN, default .build/debug/swiftlet) on free loopback
ports and drive it with real clients. Every process started here is stopped by its PID in a
fixture finalizer (SIGTERM, then SIGKILL after a timeout); every wait is bounded in count and time.
"""
from __future__ import annotations

import base64
import datetime as _dt
import http.client
import json
import math
import os
import random
import re
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
BIN = Path(os.environ.get("SWIFTLET_BIN") or REPO / ".build" / "debug" / "swiftlet")

# rotel, the benchmark's peer, as the Makefile installs it (make .venv-bench/.ready): its binary
# ships in the PyPI wheel, under site-packages/rotel/.
ROTEL_GLOB = ".venv-bench/lib/python3*/site-packages/rotel/rotel-agent"


def rotel_agent() -> Path | None:
    """The rotel-agent binary of the bench venv, or None when it is not installed."""
    found = sorted(REPO.glob(ROTEL_GLOB))
    return found[0] if found else None


CLI_TIMEOUT = 30  # seconds for one short CLI command (validate, print-config, ...)
START_TIMEOUT = 10  # seconds until the health check answers 200
STOP_TIMEOUT = 5  # seconds after SIGTERM before SIGKILL


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------

# Ports handed out by this test process, never handed out twice: two calls binding port 0 may
# get the same number back once the first socket is closed.
_HANDED_OUT: set[int] = set()
# Below Linux's default ephemeral range (32768-60999), so that no outgoing client connection of
# this machine takes a port between the moment it is chosen and the moment Swiftlet binds it.
_PORT_RANGE = (20000, 32767)


def _unused_port(kind: int) -> int:
    rng = random.Random()
    for _ in range(500):
        port = rng.randint(*_PORT_RANGE)
        if port in _HANDED_OUT:
            continue
        try:
            with socket.socket(socket.AF_INET, kind) as s:
                s.bind(("127.0.0.1", port))
        except OSError:
            continue
        _HANDED_OUT.add(port)
        return port
    raise RuntimeError(f"no free loopback port in {_PORT_RANGE} after 500 tries")


def free_port() -> int:
    """A loopback TCP port that was free a moment ago and that this process never handed out."""
    return _unused_port(socket.SOCK_STREAM)


def free_udp_port() -> int:
    """A loopback UDP port that was free a moment ago and that this process never handed out."""
    return _unused_port(socket.SOCK_DGRAM)


def wait_until(predicate: Callable[[], Any], timeout: float, interval: float = 0.05,
               what: str = "condition") -> Any:
    """Polls `predicate` until it returns a truthy value; bounded by `timeout` seconds and by a
    maximum number of polls. Returns the value, raises AssertionError on timeout."""
    deadline = time.monotonic() + timeout
    max_polls = int(timeout / interval) + 2
    last = None
    for _ in range(max_polls):
        last = predicate()
        if last:
            return last
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last value: {last!r})")


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
            timeout: float = CLI_TIMEOUT) -> subprocess.CompletedProcess:
    """Runs the binary with `args` to completion and returns the CompletedProcess (text mode)."""
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, env=full_env,
                          cwd=str(cwd or REPO), timeout=timeout)


def error_lines(stderr: str) -> list[str]:
    """The `swiftlet: ...` lines of stderr that are not warnings."""
    return [l for l in stderr.splitlines()
            if l.startswith("swiftlet: ") and not l.startswith("swiftlet: warning")]


def http_request(method: str, url_host: str, port: int, path: str, body: bytes | None = None,
                 headers: dict[str, str] | None = None, timeout: float = 10):
    """One HTTP/1.1 request with http.client; returns (status, headers dict lower-cased, body)."""
    conn = http.client.HTTPConnection(url_host, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        hdrs = {k.lower(): v for k, v in resp.getheaders()}
        return resp.status, hdrs, data
    finally:
        conn.close()


def write_yaml(path: Path, data: Any) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


# --------------------------------------------------------------------------------------------
# Configs
# --------------------------------------------------------------------------------------------

@dataclass
class Ports:
    health: int = field(default_factory=free_port)
    otlp: int = field(default_factory=free_port)
    metrics: int = field(default_factory=free_port)


def base_config(ports: Ports, verbosity: str = "detailed", http_extra: dict | None = None,
                processors: Iterable[str] = ("batch",)) -> dict:
    """A minimal valid config on the given loopback ports: otlp(http) -> processors -> debug."""
    http_cfg = {"endpoint": f"127.0.0.1:{ports.otlp}"}
    if http_extra:
        http_cfg.update(http_extra)
    return {
        "extensions": {"health_check": {"endpoint": f"127.0.0.1:{ports.health}"}},
        "receivers": {"otlp": {"protocols": {"http": http_cfg}}},
        "processors": {"batch": {"timeout": "100ms"},
                       "memory_limiter": {"check_interval": "1s", "limit_mib": 512}},
        "exporters": {"debug": {"verbosity": verbosity}},
        "service": {
            "extensions": ["health_check"],
            "telemetry": {"metrics": {"address": f"127.0.0.1:{ports.metrics}"}},
            "pipelines": {"traces": {"receivers": ["otlp"], "processors": list(processors),
                                     "exporters": ["debug"]}},
        },
    }


# --------------------------------------------------------------------------------------------
# The running collector
# --------------------------------------------------------------------------------------------

class Swiftlet:
    """One `swiftlet` process with stdout/stderr captured to files in its work directory."""

    def __init__(self, workdir: Path, config: dict | None = None, args: Iterable[str] = (),
                 env: dict[str, str] | None = None, ports: Ports | None = None):
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.ports = ports
        self.args = list(args)
        if config is not None:
            cfg_path = write_yaml(self.workdir / "config.yaml", config)
            self.args = ["--config", str(cfg_path), *self.args]
        self.env = dict(os.environ)
        if env:
            self.env.update(env)
        self.stderr_path = self.workdir / "stderr.txt"
        self.stdout_path = self.workdir / "stdout.txt"
        self.proc: subprocess.Popen | None = None
        self.exit_code: int | None = None

    # -- process --------------------------------------------------------------------------
    def start(self, wait_healthy: bool = True) -> "Swiftlet":
        self._err = open(self.stderr_path, "wb")
        self._out = open(self.stdout_path, "wb")
        self.proc = subprocess.Popen([str(BIN), *self.args], stdout=self._out, stderr=self._err,
                                     stdin=subprocess.DEVNULL, env=self.env, cwd=str(self.workdir))
        if wait_healthy:
            self.wait_healthy()
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait_exit(self, timeout: float) -> int | None:
        """Waits (bounded) for the process to end; returns its exit code or None."""
        assert self.proc is not None
        try:
            self.exit_code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        return self.exit_code

    def stop(self, sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> tuple[int, float]:
        """Sends `sig` to the PID, waits up to `timeout` s, then SIGKILLs. Returns (exit code,
        seconds from the signal to the exit). A SIGKILLed process reports -9."""
        assert self.proc is not None
        if self.proc.poll() is not None:
            self.exit_code = self.proc.returncode
            return self.exit_code, 0.0
        t0 = time.monotonic()
        os.kill(self.proc.pid, sig)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            code = self.proc.wait(timeout=10)
        elapsed = time.monotonic() - t0
        self.exit_code = code
        self._close_files()
        return code, elapsed

    def kill(self) -> None:
        """Finalizer: SIGTERM, then SIGKILL after a timeout, by PID; idempotent."""
        if self.proc is not None and self.proc.poll() is None:
            self.stop()
        self._close_files()

    def _close_files(self) -> None:
        for f in (getattr(self, "_err", None), getattr(self, "_out", None)):
            if f is not None and not f.closed:
                f.close()

    # -- output ---------------------------------------------------------------------------
    def stderr(self) -> str:
        return self.stderr_path.read_bytes().decode("utf-8", errors="replace") \
            if self.stderr_path.exists() else ""

    def stdout(self) -> str:
        return self.stdout_path.read_bytes().decode("utf-8", errors="replace") \
            if self.stdout_path.exists() else ""

    def debug_output(self) -> "DebugOutput":
        return parse_debug_output(self.stderr())

    def wait_for_spans(self, span_ids: set[str] | None = None, count: int | None = None,
                       timeout: float = 10) -> "DebugOutput":
        """Waits until the debug output holds every span id in `span_ids` (hex), or at least
        `count` spans; bounded. Returns the parsed output."""
        def ready():
            out = self.debug_output()
            ids = [s.id for _, _, s in out.spans()]
            if span_ids is not None and not span_ids <= set(ids):
                return None
            if count is not None and len(ids) < count:
                return None
            return out
        try:
            return wait_until(ready, timeout, 0.05, "spans in the debug output")
        except AssertionError:
            out = self.debug_output()
            have = {s.id for _, _, s in out.spans()}
            missing = sorted((span_ids or set()) - have)
            raise AssertionError(
                f"debug output did not show the spans within {timeout}s: missing {missing}, "
                f"have {len(have)} spans; stderr tail:\n{self.stderr()[-3000:]}") from None

    # -- http -----------------------------------------------------------------------------
    def health(self, timeout: float = 2):
        assert self.ports is not None
        return http_request("GET", "127.0.0.1", self.ports.health, "/", timeout=timeout)

    def wait_healthy(self, timeout: float = START_TIMEOUT) -> None:
        def ok():
            if not self.alive():
                raise AssertionError(f"swiftlet exited early with {self.proc.returncode}; "
                                     f"stderr:\n{self.stderr()[-3000:]}")
            try:
                status, _, _ = self.health(timeout=1)
            except OSError:
                return False
            return status == 200
        try:
            wait_until(ok, timeout, 0.05, "health_check 200")
        except AssertionError as e:
            raise AssertionError(f"{e}\nstderr:\n{self.stderr()[-3000:]}") from None

    def post(self, path: str, body: bytes, content_type: str = "application/x-protobuf",
             headers: dict[str, str] | None = None, method: str = "POST"):
        h = {"Content-Type": content_type} if content_type else {}
        h.update(headers or {})
        return http_request(method, "127.0.0.1", self.ports.otlp, path, body=body, headers=h)

    def metrics(self) -> str:
        status, _, body = http_request("GET", "127.0.0.1", self.ports.metrics, "/metrics")
        assert status == 200, f"/metrics answered {status}: {body[:300]!r}"
        return body.decode()


@pytest.fixture
def swiftlet_factory(tmp_path):
    """Returns start(config=None, args=(), env=None, ports=None, wait_healthy=True) -> Swiftlet;
    every process started is stopped by PID at teardown."""
    started: list[Swiftlet] = []

    def start(config=None, args=(), env=None, ports=None, wait_healthy=True, name=None):
        d = tmp_path / (name or f"swiftlet{len(started)}")
        s = Swiftlet(d, config=config, args=args, env=env, ports=ports)
        started.append(s)
        return s.start(wait_healthy=wait_healthy)

    yield start
    for s in started:
        s.kill()


@pytest.fixture(scope="module")
def module_swiftlet_factory(tmp_path_factory):
    """Module-scoped variant of swiftlet_factory (one collector shared by a module's tests)."""
    started: list[Swiftlet] = []

    def start(config=None, args=(), env=None, ports=None, wait_healthy=True, name="swiftlet"):
        d = tmp_path_factory.mktemp(name)
        s = Swiftlet(d, config=config, args=args, env=env, ports=ports)
        started.append(s)
        return s.start(wait_healthy=wait_healthy)

    yield start
    for s in started:
        s.kill()


# --------------------------------------------------------------------------------------------
# Go formatting (what the OpenTelemetry Collector's debug exporter prints)
# --------------------------------------------------------------------------------------------

def go_time(ns: int) -> str:
    """Go's time.Time.String() of a Unix-nanosecond timestamp in UTC."""
    secs, frac = divmod(int(ns), 1_000_000_000)
    base = (_dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
            + _dt.timedelta(seconds=secs)).strftime("%Y-%m-%d %H:%M:%S")
    if frac:
        base += "." + f"{frac:09d}".rstrip("0")
    return base + " +0000 UTC"


def go_float(f: float) -> str:
    """pcommon's float64AsString (ES6-like): 'f' format unless |f| < 1e-6 or >= 1e21."""
    if math.isnan(f):
        return "NaN"
    if math.isinf(f):
        return "Infinity" if f > 0 else "-Infinity"
    a = abs(f)
    if a != 0 and (a < 1e-6 or a >= 1e21):
        mant, exp = f"{f!r}".split("e") if "e" in repr(f) else f"{f:e}".split("e")
        return f"{mant}e{'-' if int(exp) < 0 else '+'}{abs(int(exp))}"
    if f == int(f):
        return str(int(f))
    r = repr(f)
    return r[:-2] if r.endswith(".0") else r


def go_json(v: Any) -> str:
    """Compact JSON as Go's encoding/json prints pcommon's AsRaw() (map keys sorted)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return go_float(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (bytes, bytearray)):
        return json.dumps(base64.b64encode(v).decode())
    if v is None:
        return "null"
    if isinstance(v, dict):
        return "{" + ",".join(f"{json.dumps(k, ensure_ascii=False)}:{go_json(v[k])}"
                              for k in sorted(v)) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(go_json(x) for x in v) + "]"
    raise TypeError(type(v))


def go_value(v: Any) -> str:
    """`Type(AsString)` as the detailed debug output prints an attribute value."""
    if isinstance(v, bool):
        return f"Bool({'true' if v else 'false'})"
    if isinstance(v, int):
        return f"Int({v})"
    if isinstance(v, float):
        return f"Double({go_float(v)})"
    if isinstance(v, str):
        return f"Str({v})"
    if isinstance(v, (bytes, bytearray)):
        return f"Bytes({base64.b64encode(v).decode()})"
    if isinstance(v, dict):
        return f"Map({go_json(v)})"
    if isinstance(v, (list, tuple)):
        return f"Slice({go_json(list(v))})"
    if v is None:
        return "Empty()"
    raise TypeError(type(v))


KIND_NAMES = ["Unspecified", "Internal", "Server", "Client", "Producer", "Consumer"]
STATUS_NAMES = ["Unset", "Ok", "Error"]


# --------------------------------------------------------------------------------------------
# Parser for the debug exporter's detailed output
# --------------------------------------------------------------------------------------------

@dataclass
class DEvent:
    name: str = ""
    timestamp: str = ""
    dropped_attributes_count: str = ""
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass
class DLink:
    trace_id: str = ""
    id: str = ""
    trace_state: str = ""
    dropped_attributes_count: str = ""
    attributes: dict[str, str] = field(default_factory=dict)


@dataclass
class DSpan:
    fields: dict[str, str] = field(default_factory=dict)  # "Trace ID" -> "..."
    attributes: dict[str, str] = field(default_factory=dict)
    events: list[DEvent] = field(default_factory=list)
    links: list[DLink] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.fields.get("ID", "")

    @property
    def name(self) -> str:
        return self.fields.get("Name", "")


@dataclass
class DScope:
    schema_url: str = ""
    name: str = ""
    version: str = ""
    attributes: dict[str, str] = field(default_factory=dict)
    spans: list[DSpan] = field(default_factory=list)


@dataclass
class DResource:
    schema_url: str = ""
    attributes: dict[str, str] = field(default_factory=dict)
    scopes: list[DScope] = field(default_factory=list)


@dataclass
class DebugOutput:
    resources: list[DResource] = field(default_factory=list)
    batches: list[tuple[int, int]] = field(default_factory=list)  # (resource_spans, spans)
    unparsed: list[str] = field(default_factory=list)  # lines inside a block not understood

    def spans(self):
        """Flattened (resource, scope, span) triples in output order."""
        for r in self.resources:
            for sc in r.scopes:
                for sp in sc.spans:
                    yield r, sc, sp


_LOG_LINE = re.compile(r"^\d{4}-\d\d-\d\dT\S+\t(\w+)\t([^\t]*)\t([^\t]*)(?:\t(.*))?$")
_ATTR = re.compile(r"^(\s*)-> (.*?): (Empty|Str|Bool|Int|Double|Map|Slice|Bytes)\((.*)\)\s*$")
_ARROW = re.compile(r"^(\s*)-> ([A-Za-z ]+?):\s?(.*)$")
_SPAN_FIELD = re.compile(r"^\s+([A-Za-z][A-Za-z ]*?)\s*: ?(.*)$")


def _kv_fields(text: str) -> dict[str, str]:
    out = {}
    for m in re.finditer(r'(\w+)=("(?:[^"\\]|\\.)*"|\S+)', text or ""):
        out[m.group(1)] = m.group(2)
    return out


def parse_debug_output(text: str) -> DebugOutput:
    """Parses the debug exporter's output (log lines + detailed blocks) from stderr text.
    Tolerant of spacing; values are kept verbatim (attributes as `Type(value)` strings)."""
    out = DebugOutput()
    res = scope = span = None
    ev: DEvent | None = None
    link: DLink | None = None
    section = None  # resource_attrs, scope_attrs, span_attrs, events, links, ev_attrs, link_attrs
    attr_indent = 0
    lines: list[str] = []
    for raw in text.splitlines():
        # A block glued to the end of the log line without a newline.
        idx = raw.find("ResourceSpans #")
        if idx > 0:
            lines.extend([raw[:idx], raw[idx:]])
        else:
            lines.append(raw)
    for line in lines:
        m = _LOG_LINE.match(line)
        if m:
            res = scope = span = ev = link = None
            section = None
            if m.group(3) == "Traces":
                f = _kv_fields(m.group(4))
                try:
                    out.batches.append((int(f.get("resource_spans", -1)), int(f.get("spans", -1))))
                except ValueError:
                    out.batches.append((-1, -1))
            continue
        if line.startswith("swiftlet: "):
            continue
        if re.match(r"^ResourceSpans #\d+", line):
            res = DResource()
            out.resources.append(res)
            scope = span = ev = link = None
            section = None
            continue
        if res is None:
            continue  # not inside a block
        if line.startswith("Resource SchemaURL:"):
            res.schema_url = line[len("Resource SchemaURL:"):].strip()
            continue
        if line.startswith("Resource attributes:"):
            section = "resource_attrs"
            continue
        if line.startswith("Resource entity refs:"):
            section = "ignore"
            continue
        if re.match(r"^ScopeSpans #\d+", line):
            scope = DScope()
            res.scopes.append(scope)
            span = ev = link = None
            section = None
            continue
        if line.startswith("ScopeSpans SchemaURL:") and scope is not None:
            scope.schema_url = line[len("ScopeSpans SchemaURL:"):].strip()
            continue
        if line.startswith("InstrumentationScope attributes:") and scope is not None:
            section = "scope_attrs"
            continue
        if line.startswith("InstrumentationScope") and scope is not None:
            rest = line[len("InstrumentationScope"):]
            rest = rest[1:] if rest.startswith(" ") else rest
            name, _, version = rest.partition(" ")
            scope.name, scope.version = name, version.strip()
            continue
        if re.match(r"^Span #\d+", line) and scope is not None:
            span = DSpan()
            scope.spans.append(span)
            ev = link = None
            section = "span_fields"
            continue
        if line.strip() == "Attributes:" and span is not None:
            section = "span_attrs"
            continue
        if line.strip() == "Events:" and span is not None:
            section = "events"
            continue
        if line.strip() == "Links:" and span is not None:
            section = "links"
            continue
        if re.match(r"^SpanEvent #\d+", line) and span is not None:
            ev = DEvent()
            span.events.append(ev)
            section = "event"
            continue
        if re.match(r"^SpanLink #\d+", line) and span is not None:
            link = DLink()
            span.links.append(link)
            section = "link"
            continue
        if not line.strip() or section == "ignore":
            continue
        am = _ATTR.match(line)
        indent = len(line) - len(line.lstrip(" "))
        if section in ("resource_attrs", "scope_attrs", "span_attrs") and am:
            target = {"resource_attrs": res.attributes,
                      "scope_attrs": scope.attributes if scope else None,
                      "span_attrs": span.attributes if span else None}[section]
            if target is not None:
                target[am.group(2)] = f"{am.group(3)}({am.group(4)})"
                continue
        if section in ("event", "link"):
            obj = ev if section == "event" else link
            if am and obj is not None and attr_indent and indent > attr_indent:
                obj.attributes[am.group(2)] = f"{am.group(3)}({am.group(4)})"
                continue
            mm = _ARROW.match(line)
            if mm and obj is not None:
                key, val = mm.group(2).strip(), mm.group(3)
                if key == "Attributes:" or line.strip().startswith("-> Attributes:"):
                    attr_indent = indent
                    continue
                attr_indent = 0
                attr = {"Name": "name", "Timestamp": "timestamp", "Trace ID": "trace_id",
                        "ID": "id", "TraceState": "trace_state",
                        "DroppedAttributesCount": "dropped_attributes_count"}.get(key)
                if attr and hasattr(obj, attr):
                    setattr(obj, attr, val.strip() if attr != "name" else val)
                    continue
            if line.strip().startswith("-> Attributes:") and obj is not None:
                attr_indent = indent
                continue
        if section == "span_fields" and span is not None:
            fm = _SPAN_FIELD.match(line)
            if fm:
                key = fm.group(1).strip()
                val = fm.group(2)
                span.fields[key] = val if key in ("Name", "Status message") else val.strip()
                continue
        out.unparsed.append(line)
    return out


# --------------------------------------------------------------------------------------------
# Expected values for spans (built from what a client sent)
# --------------------------------------------------------------------------------------------

def expected_span_fields(trace_id: bytes, span_id: bytes, parent_id: bytes, name: str, kind: int,
                         start_ns: int, end_ns: int, status_code: int, status_message: str,
                         trace_state: str = "", dropped=(0, 0, 0)) -> dict[str, str]:
    """The `Span #n` field lines the detailed output must show (kind/status as OTLP integers)."""
    f = {
        "Trace ID": trace_id.hex(),
        "Parent ID": parent_id.hex() if parent_id and any(parent_id) else "",
        "ID": span_id.hex(),
        "Name": name,
        "Kind": KIND_NAMES[kind],
        "Start time": go_time(start_ns),
        "End time": go_time(end_ns),
        "Status code": STATUS_NAMES[status_code],
        "Status message": status_message,
        "DroppedAttributesCount": str(dropped[0]),
        "DroppedEventsCount": str(dropped[1]),
        "DroppedLinksCount": str(dropped[2]),
    }
    if trace_state:
        f["TraceState"] = trace_state
    return f


def _compare(actual: dict[str, str], expected: dict[str, str], where: str, noun: str, show,
             empty_may_appear: tuple[str, ...] = ()) -> list[str]:
    problems = []
    for k, v in expected.items():
        if k not in actual:
            problems.append(f"{where}: {noun} {k!r} missing (expected {show(v)})")
        elif actual[k] != v:
            problems.append(f"{where}: {noun} {k!r} = {show(actual[k])}, expected {show(v)}")
    for k in actual:
        if k not in expected and not (k in empty_may_appear and actual[k] == ""):
            problems.append(f"{where}: unexpected {noun} {k!r} = {show(actual[k])}")
    return problems


def compare_fields(actual: dict[str, str], expected: dict[str, str], where: str) -> list[str]:
    return _compare(actual, expected, where, "field", repr, ("TraceState",))


def compare_attrs(actual: dict[str, str], expected: dict[str, str], where: str) -> list[str]:
    return _compare(actual, expected, where, "attribute", str)
