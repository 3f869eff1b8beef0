"""trace_query over tracestore end to end: spans sent by real clients (the OpenTelemetry SDK over
OTLP/HTTP and OTLP/gRPC, its Zipkin JSON exporter, py_zipkin, the Jaeger Thrift exporter) come back
from Tempo's trace-by-id API as protobuf and as JSON, field for field; searches by service, span
name, duration, attributes, `tags` and TraceQL return exactly the traces the sent data says; the
tag listings hold what was sent; a flood keeps the store within max_bytes, evicting oldest first.
Oracles: the SDK's own finished spans, and the Zipkin / Jaeger translation expectations of
test_zipkin.py and test_jaeger.py (independent of Swiftlet)."""
from __future__ import annotations

import json
import random
import urllib.parse

import pytest
from google.protobuf import json_format
from opentelemetry.proto.trace.v1 import trace_pb2

from conftest import Ports, base_config, compare_attrs, compare_fields, free_port, go_time, go_value, http_request, wait_until
from otlp_fixtures import emit_spans, make_provider
from test_jaeger import expected_span as jaeger_expected, run_client, jaeger_python  # noqa: F401 (fixture)
from test_zipkin import expected_span as zipkin_expected, _py_zipkin_trace

KINDS = ["Unspecified", "Internal", "Server", "Client", "Producer", "Consumer"]
STATUS = ["Unset", "Ok", "Error"]


class TraceQueryPorts(Ports):
    def __init__(self):
        super().__init__()
        self.query = free_port()
        self.grpc = free_port()
        self.zipkin = free_port()
        self.jaeger = free_port()


def store_config(ports: TraceQueryPorts, store: dict | None = None) -> dict:
    cfg = base_config(ports, processors=())
    cfg["receivers"]["otlp"]["protocols"]["grpc"] = {"endpoint": f"127.0.0.1:{ports.grpc}"}
    cfg["receivers"]["zipkin"] = {"endpoint": f"127.0.0.1:{ports.zipkin}"}
    cfg["receivers"]["jaeger"] = {"protocols": {"thrift_http": {"endpoint": f"127.0.0.1:{ports.jaeger}"}}}
    cfg["exporters"] = {"tracestore": store or {}}
    cfg["extensions"]["trace_query"] = {"endpoint": f"127.0.0.1:{ports.query}"}
    cfg["service"]["extensions"] = ["health_check", "trace_query"]
    cfg["service"]["pipelines"]["traces"] = {"receivers": ["otlp", "zipkin", "jaeger"], "exporters": ["tracestore"]}
    return cfg


@pytest.fixture(scope="module")
def collector(module_swiftlet_factory):
    ports = TraceQueryPorts()
    sw = module_swiftlet_factory(config=store_config(ports), ports=ports, name="trace_query")
    sw.sent = []  # (trace id hex, service, span name, duration ns, attributes, status code) of every span sent
    return sw


def api(sw, path: str, accept: str = "application/json", **params):
    query = ("?" + urllib.parse.urlencode(params)) if params else ""
    return http_request("GET", "127.0.0.1", sw.ports.query, path + query, headers={"Accept": accept})


def api_json(sw, path: str, **params):
    status, headers, body = api(sw, path, **params)
    assert status == 200, f"{path} {params}: {status} {body[:500]!r}"
    assert headers["content-type"] == "application/json"
    return json.loads(body)


def fetch_trace(sw, trace_id: str, wanted_spans: int) -> trace_pb2.TracesData:
    """The trace as protobuf (Tempo's Trace is TracesData on the wire) once it holds every span;
    the v1 and v2 JSON answers must decode to the same message."""
    def complete():
        status, _, body = api(sw, f"/api/traces/{trace_id}", accept="application/protobuf")
        if status != 200:
            return None
        data = trace_pb2.TracesData.FromString(body)
        return data if sum(len(ss.spans) for rs in data.resource_spans for ss in rs.scope_spans) >= wanted_spans else None
    data = wait_until(complete, 10, what=f"trace {trace_id} with {wanted_spans} spans")
    v1 = api_json(sw, f"/api/traces/{trace_id}")
    assert json_format.ParseDict({"resourceSpans": v1["batches"]}, trace_pb2.TracesData()) == data
    status, _, body = api(sw, f"/api/v2/traces/{trace_id}", accept="application/protobuf")
    assert status == 200 and body[0] == 0x0A  # TraceByIDResponse.trace = 1
    v2 = api_json(sw, f"/api/v2/traces/{trace_id}")
    assert json_format.ParseDict(v2["trace"], trace_pb2.TracesData()) == data
    return data


def py_value(v):
    kind = v.WhichOneof("value")
    if kind == "array_value":
        return [py_value(x) for x in v.array_value.values]
    if kind == "kvlist_value":
        return {kv.key: py_value(kv.value) for kv in v.kvlist_value.values}
    return getattr(v, kind) if kind else None


def attributes(kvs) -> dict:
    return {kv.key: py_value(kv.value) for kv in kvs}


def stored_spans(data: trace_pb2.TracesData):
    for rs in data.resource_spans:
        for ss in rs.scope_spans:
            for span in ss.spans:
                yield rs, ss, span


def record(sw, data: trace_pb2.TracesData) -> None:
    """Notes what a search must find, from the spans as stored (the clients' own data was compared
    with them before)."""
    for rs, _, s in stored_spans(data):
        sw.sent.append({"trace": s.trace_id.hex(), "service": attributes(rs.resource.attributes).get("service.name"),
                        "name": s.name, "duration": s.end_time_unix_nano - s.start_time_unix_nano,
                        "attributes": attributes(s.attributes), "status": s.status.code, "kind": s.kind})


# ---------------------------------------------------------------------------------- OTLP SDK

def sdk_view(s) -> dict:
    ctx = s.get_span_context()
    def convert(v):
        return list(v) if isinstance(v, tuple) else v
    return {
        "trace": f"{ctx.trace_id:032x}", "id": f"{ctx.span_id:016x}",
        "parent": f"{s.parent.span_id:016x}" if s.parent else "", "name": s.name, "kind": s.kind.value + 1,
        "start": s.start_time, "end": s.end_time, "trace_state": ctx.trace_state.to_header(),
        "attributes": {k: convert(v) for k, v in s.attributes.items()},
        "events": [(e.name, e.timestamp, {k: convert(v) for k, v in e.attributes.items()}) for e in s.events],
        # The SDK 1.29 OTLP exporters drop links' trace states (otlp_fixtures.expected_from_readable).
        "links": [(f"{l.context.trace_id:032x}", f"{l.context.span_id:016x}", "",
                   {k: convert(v) for k, v in l.attributes.items()}) for l in s.links],
        "status": ({"UNSET": 0, "OK": 1, "ERROR": 2}[s.status.status_code.name], s.status.description or ""),
        "resource": {k: convert(v) for k, v in s.resource.attributes.items()},
        "scope": (s.instrumentation_scope.name, s.instrumentation_scope.version or ""),
    }


def stored_view(rs, ss, s) -> dict:
    return {
        "trace": s.trace_id.hex(), "id": s.span_id.hex(), "parent": s.parent_span_id.hex(), "name": s.name,
        "kind": s.kind, "start": s.start_time_unix_nano, "end": s.end_time_unix_nano, "trace_state": s.trace_state,
        "attributes": attributes(s.attributes),
        "events": [(e.name, e.time_unix_nano, attributes(e.attributes)) for e in s.events],
        "links": [(l.trace_id.hex(), l.span_id.hex(), l.trace_state, attributes(l.attributes)) for l in s.links],
        "status": (s.status.code, s.status.message), "resource": attributes(rs.resource.attributes),
        "scope": (ss.scope.name, ss.scope.version),
    }


def check_sdk_spans(sw, finished) -> None:
    by_trace = {}
    for s in finished:
        by_trace.setdefault(f"{s.get_span_context().trace_id:032x}", []).append(sdk_view(s))
    for trace_id, want in by_trace.items():
        data = fetch_trace(sw, trace_id, len(want))
        got = {v["id"]: v for v in (stored_view(*t) for t in stored_spans(data))}
        assert sorted(got) == sorted(v["id"] for v in want)
        for v in want:
            assert got[v["id"]] == v, f"span {v['name']!r}"
        record(sw, data)


def http_exporter(sw):
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    return OTLPSpanExporter(endpoint=f"http://127.0.0.1:{sw.ports.otlp}/v1/traces", timeout=10)


def grpc_exporter(sw):
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    return OTLPSpanExporter(endpoint=f"127.0.0.1:{sw.ports.grpc}", insecure=True, timeout=10)


@pytest.mark.parametrize("tag,make_exporter,seed", [("tq-http", http_exporter, 21), ("tq-grpc", grpc_exporter, 22)])
def test_otlp_sdk_spans_come_back_field_for_field(collector, tag, make_exporter, seed):
    provider, memory = make_provider(tag, make_exporter(collector))
    emit_spans(provider, tag, seed=seed)
    provider.shutdown()
    check_sdk_spans(collector, memory.get_finished_spans())


# ---------------------------------------------------------------------------------- Zipkin, Jaeger

def debug_view(rs, ss, s) -> tuple[dict, dict, list, list]:
    """A stored span in the shape of the detailed debug output (Go formatting), which the Zipkin
    and Jaeger expectations of test_zipkin.py / test_jaeger.py are written in."""
    fields = {"Trace ID": s.trace_id.hex(), "Parent ID": s.parent_span_id.hex(), "ID": s.span_id.hex(), "Name": s.name,
              "Kind": KINDS[s.kind], "Start time": go_time(s.start_time_unix_nano), "End time": go_time(s.end_time_unix_nano),
              "Status code": STATUS[s.status.code], "Status message": s.status.message}
    if s.trace_state:
        fields["TraceState"] = s.trace_state
    attrs = {k: go_value(v) for k, v in attributes(s.attributes).items()}
    events = [(e.name, go_time(e.time_unix_nano), {k: go_value(v) for k, v in attributes(e.attributes).items()}) for e in s.events]
    links = [(l.trace_id.hex(), l.span_id.hex(), {k: go_value(v) for k, v in attributes(l.attributes).items()}) for l in s.links]
    return fields, attrs, events, links


def check_zipkin(sw, sent: list[dict]) -> None:
    for trace_id in {z["traceId"].rjust(32, "0") for z in sent}:
        want = [z for z in sent if z["traceId"].rjust(32, "0") == trace_id]
        data = fetch_trace(sw, trace_id, len(want))
        got = {s.span_id.hex(): (rs, ss, s) for rs, ss, s in stored_spans(data)}
        problems = []
        for z in want:
            exp = zipkin_expected(z)
            rs, ss, s = got[z["id"]]
            fields, attrs, events, _ = debug_view(rs, ss, s)
            problems += compare_fields(fields, exp["fields"], z["name"])
            problems += compare_attrs(attrs, exp["attributes"], z["name"])
            if [(n, t) for n, t, _ in events] != exp["events"]:
                problems.append(f"{z['name']}: events {events}, want {exp['events']}")
            resource = {k: go_value(v) for k, v in attributes(rs.resource.attributes).items()}
            for k, v in exp["resource"].items():
                if resource.get(k) != v:
                    problems.append(f"{z['name']}: resource {k} = {resource.get(k)}, want {v}")
        assert not problems, "\n".join(problems)
        record(sw, data)


def test_zipkin_json_sdk_exporter_spans_come_back(collector):
    from opentelemetry.exporter.zipkin.json import ZipkinExporter
    exporter = ZipkinExporter(endpoint=f"http://127.0.0.1:{collector.ports.zipkin}/api/v2/spans", timeout=10)
    provider, memory = make_provider("tq-zipkin", exporter)
    emit_spans(provider, "tq-zipkin", seed=23)
    provider.shutdown()
    check_zipkin(collector, json.loads(exporter.encoder.serialize(memory.get_finished_spans(), exporter.local_node)))


def test_py_zipkin_spans_come_back(collector):
    from py_zipkin.encoding import Encoding
    bodies = _py_zipkin_trace(collector.ports.zipkin, Encoding.V2_JSON, "00112233445566778899aabbccddeeff")
    check_zipkin(collector, [s for b in bodies for s in json.loads(b)])


def test_jaeger_thrift_exporter_spans_come_back(collector, jaeger_python):
    sent = run_client(jaeger_python, "collector", f"http://127.0.0.1:{collector.ports.jaeger}/api/traces", "tq")
    assert len(sent) == 4
    problems = []
    for trace_id in {s["trace_id"] for s in sent}:
        want = [s for s in sent if s["trace_id"] == trace_id]
        data = fetch_trace(collector, trace_id, len(want))
        got = {s.span_id.hex(): (rs, ss, s) for rs, ss, s in stored_spans(data)}
        for s in want:
            fields, attrs, events, links = jaeger_expected(s)
            rs, ss, span = got[s["span_id"]]
            actual = debug_view(rs, ss, span)
            for name in ("DroppedAttributesCount", "DroppedEventsCount", "DroppedLinksCount"):
                fields.pop(name)
            problems += compare_fields(actual[0], fields, s["name"])
            problems += compare_attrs(actual[1], attrs, s["name"])
            if actual[2] != events:
                problems.append(f"{s['name']}: events {actual[2]}, want {events}")
            if actual[3] != links:
                problems.append(f"{s['name']}: links {actual[3]}, want {links}")
            if attributes(rs.resource.attributes).get("service.name") != "jaeger-e2e-tq":
                problems.append(f"{s['name']}: resource {attributes(rs.resource.attributes)}")
        record(collector, data)
    assert not problems, "\n".join(problems)


def test_unknown_trace_is_404_and_a_malformed_id_400(collector):
    assert api(collector, "/api/traces/" + "ab" * 16)[0] == 404
    assert api(collector, "/api/v2/traces/" + "ab" * 16, accept="application/protobuf")[0] == 404
    status, _, body = api(collector, "/api/traces/not-hex")
    assert status == 400 and b"invalid trace id" in body


# ---------------------------------------------------------------------------------- search

def search_ids(sw, **params) -> set[str]:
    answer = api_json(sw, "/api/search", limit=10_000, **params)
    ids = [t["traceID"].rjust(32, "0") for t in answer["traces"]]
    assert len(ids) == len(set(ids))
    return set(ids)


def traces_where(sw, predicate) -> set[str]:
    return {s["trace"] for s in sw.sent if predicate(s)}


def test_search_finds_exactly_the_matching_traces(collector):
    sent = collector.sent
    assert len({s["trace"] for s in sent}) >= 20, "the client tests above must run first"
    cases = [
        ({"q": '{ resource.service.name = "e2e-tq-http" }'}, lambda s: s["service"] == "e2e-tq-http"),
        ({"q": '{ name = "SELECT cart" }'}, lambda s: s["name"] == "SELECT cart"),
        ({"q": "{ duration > 100s }"}, lambda s: s["duration"] > 100e9),
        ({"q": "{ duration >= 1s && duration < 100s }"}, lambda s: 1e9 <= s["duration"] < 100e9),
        ({"q": '{ span.db.system = "postgresql" && status = error }'},
         lambda s: s["attributes"].get("db.system") == "postgresql" and s["status"] == 2),
        ({"q": "{ span.http.status_code >= 400 }"},
         lambda s: isinstance(s["attributes"].get("http.status_code"), int) and s["attributes"]["http.status_code"] >= 400),
        ({"q": '{ kind = client } && { name =~ "GET .*" }'}, None),
        ({"q": '{ .http.method = "POST" } || { name = "compute" }'},
         lambda s: s["attributes"].get("http.method") == "POST" or s["name"] == "compute"),
        ({"tags": "db.system=postgresql"}, lambda s: s["attributes"].get("db.system") == "postgresql"),
        ({"tags": "service.name=tq-grpc"}, lambda s: "tq-grpc" in (s["service"] or "")),
    ]
    for params, predicate in cases:
        if predicate is None:
            want = traces_where(collector, lambda s: s["kind"] == 3) & traces_where(collector, lambda s: s["name"].startswith("GET "))
        else:
            want = traces_where(collector, predicate)
        assert want, f"{params} must match something"
        assert search_ids(collector, **params) == want, params
    durations = {}
    for s in sent:
        durations.setdefault(s["trace"], []).append(s)
    long_traces = {t for t, spans in durations.items()
                   if max(x["duration"] for x in spans) >= 100e9}  # one span: the trace lasts as long
    assert search_ids(collector, minDuration="100s") == long_traces


def test_search_answer_has_tempo_fields(collector):
    answer = api_json(collector, "/api/search", q='{ name = "SELECT cart" && resource.service.name = "e2e-tq-http" }', spss=1)
    assert len(answer["traces"]) == 1
    t = answer["traces"][0]
    assert t["rootServiceName"] == "e2e-tq-http" and t["rootTraceName"] == "GET /cart tq-http"
    assert int(t["startTimeUnixNano"]) > 0 and t["durationMs"] == 999
    assert t["spanSets"][0]["matched"] == 1 and t["spanSet"] == t["spanSets"][0]
    span = t["spanSets"][0]["spans"][0]
    assert span["name"] == "SELECT cart" and span["durationNanos"] == "249999006"
    assert {"key": "service.name", "value": {"stringValue": "e2e-tq-http"}} in span["attributes"]


def test_unsupported_traceql_is_400_naming_it(collector):
    for q, words in [("{ } | count() > 1", "pipelines"), ("{ .a = 1 } >> { .b = 2 }", "structural operators"),
                     ("{ .a = }", "expected a value")]:
        status, _, body = api(collector, "/api/search", q=q)
        assert status == 400 and words.encode() in body, (q, body)


def test_tag_listings_hold_what_was_sent(collector):
    sent = collector.sent
    names = set(api_json(collector, "/api/search/tags")["tagNames"])
    assert {k for s in sent for k in s["attributes"]} <= names
    scopes = {s["name"]: set(s["tags"]) for s in api_json(collector, "/api/v2/search/tags")["scopes"]}
    assert {"service.name"} <= scopes["resource"] and "db.system" in scopes["span"] and "duration" in scopes["intrinsic"]
    services = {v["value"] for v in api_json(collector, "/api/v2/search/tag/resource.service.name/values")["tagValues"]}
    assert {s["service"] for s in sent} == services
    assert {s["service"] for s in sent} == set(api_json(collector, "/api/search/tag/service.name/values")["tagValues"])
    codes = api_json(collector, "/api/v2/search/tag/span.http.status_code/values")["tagValues"]
    assert {("int", str(s["attributes"]["http.status_code"])) for s in sent if isinstance(s["attributes"].get("http.status_code"), int)} \
        == {(v["type"], v["value"]) for v in codes}


# ---------------------------------------------------------------------------------- flood

def rss_kib(pid: int, key: str = "VmRSS") -> int:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def test_flood_stays_within_max_bytes_and_evicts_oldest_first(swiftlet_factory):
    from otlp_fixtures import ld, raw_request, raw_span
    max_bytes = 32 << 20
    ports = TraceQueryPorts()
    sw = swiftlet_factory(config=store_config(ports, {"max_bytes": max_bytes}), ports=ports)
    idle = rss_kib(sw.pid)
    rng = random.Random(5)
    payload = ld(9, ld(1, b"payload") + ld(2, ld(1, b"x" * 4000)))  # a 4 KB string attribute
    first = last = None
    for request in range(1000):  # ~200 MB of spans, 6x the cap
        spans = []
        for _ in range(50):
            trace_id, span_id = rng.randbytes(16), rng.randbytes(8)
            first = first or trace_id.hex()
            last = trace_id.hex()
            spans.append(raw_span(trace_id, span_id, f"flood {request}", payload))
        status, _, body = sw.post("/v1/traces", raw_request(*spans))
        assert status == 200, body
    peak = rss_kib(sw.pid, "VmHWM")
    now = rss_kib(sw.pid)
    print(f"idle {idle} KiB, after the flood {now} KiB, peak {peak} KiB, max_bytes {max_bytes >> 10} KiB")
    assert now < idle + (max_bytes >> 10) + 48 * 1024
    assert peak < idle + (max_bytes >> 10) + 64 * 1024
    assert api(sw, f"/api/traces/{first}")[0] == 404
    assert api(sw, f"/api/traces/{last}")[0] == 200
    newest = api_json(sw, "/api/search", q="{}", limit=5)["traces"]
    assert [t["traceID"].rjust(32, "0") for t in newest][0] == last
