#!/usr/bin/env python3
"""Writes scripts/startup-order.txt: the functions of the release binary that run from exec until
the collector idles with the default config, in first-call order, then those a config with TLS
on its receivers and exporter adds.

The release link (Makefile RELEASE_FLAGS) hands this list to lld as --symbol-ordering-file, so the
start-up code sits together instead of spread over the 5 MiB text; the kernel maps code in
read-ahead-sized pieces, so clustering it keeps about 0.8 MiB out of the idle resident set.
A stale list costs only that saving; regenerate after large changes:

    make release && python3 scripts/startup-order.py .build/release/swiftlet

Needs valgrind (Debian package `valgrind`)."""
import os, re, signal, socket, subprocess, sys, tempfile, time, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tls_config(tmp):
    """A config with TLS on both OTLP receivers and on an otlp exporter (its own CA as the
    trusted one), so that building TLS contexts is start-up code too."""
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"],
                   check=True, capture_output=True)
    path = os.path.join(tmp, "tls.yaml")
    with open(path, "w") as f:
        f.write(f"""receivers:
  otlp:
    protocols:
      grpc: {{endpoint: "127.0.0.1:{free_port()}", tls: {{cert_file: {cert}, key_file: {key}}}}}
      http: {{endpoint: "127.0.0.1:{free_port()}", tls: {{cert_file: {cert}, key_file: {key}}}}}
exporters:
  otlp: {{endpoint: "localhost:{free_port()}", tls: {{ca_file: {cert}}}}}
extensions:
  health_check:
service:
  extensions: [health_check]
  pipelines:
    traces: {{receivers: [otlp], exporters: [otlp]}}
""")
    return path


def profile(binary, out, config=None):
    health = free_port()
    args = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", binary]
    args += ["--config", config] if config else ["--set", f"receivers::otlp::protocols::http::endpoint=127.0.0.1:{free_port()}"]
    args += ["--set", f"extensions::health_check::endpoint=127.0.0.1:{health}",
             "--set", f"service::telemetry::metrics::address=127.0.0.1:{free_port()}"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{health}/", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        else:
            raise SystemExit("the collector did not become healthy under valgrind")
        time.sleep(1.0)  # idle, so timers and idle paths are in the profile too
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


def executed_functions(callgrind_out, binary):
    """Function names callgrind saw running inside `binary`, in first-seen order."""
    objects, names, current, seen = {}, {}, None, {}
    for line in open(callgrind_out, errors="replace"):
        m = re.match(r"(c?ob)=\((\d+)\)\s*(.*)$", line)
        if m:
            if m.group(3):
                objects[m.group(2)] = m.group(3).strip()
            if m.group(1) == "ob":
                current = objects.get(m.group(2))
            continue
        m = re.match(r"(c?fn)=\((\d+)\)\s*(.*)$", line)
        if m:
            if m.group(3):
                names[m.group(2)] = m.group(3).strip()
            if m.group(1) == "fn" and current and os.path.realpath(current) == os.path.realpath(binary):
                seen.setdefault(re.sub(r"'\d+$", "", names[m.group(2)]), None)
    return list(seen)


def mangled_names(functions, binary):
    """callgrind prints C++ names demangled; the linker wants the symbol names."""
    by_address, mangled = {}, set()
    for line in subprocess.run(["nm", "--defined-only", binary], capture_output=True, text=True).stdout.splitlines():
        parts = line.split(None, 2)
        if len(parts) == 3 and parts[1] in "tTwW":
            by_address.setdefault(parts[0], parts[2])
            mangled.add(parts[2])
    demangled = {}
    for line in subprocess.run(["nm", "-C", "--defined-only", binary], capture_output=True, text=True).stdout.splitlines():
        parts = line.split(None, 2)
        if len(parts) == 3 and parts[1] in "tTwW":
            demangled.setdefault(parts[2], by_address.get(parts[0]))
    out = []
    for f in functions:
        name = f if f in mangled else demangled.get(f)
        if name:
            out.append(name)
    return list(dict.fromkeys(out))


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else ".build/release/swiftlet"
    with tempfile.TemporaryDirectory() as tmp:
        functions = []
        # The default config's start-up first, then what a config with TLS adds to it.
        for run, config in enumerate([None, tls_config(tmp)]):
            out = os.path.join(tmp, f"callgrind.{run}.out")
            profile(binary, out, config)
            functions += executed_functions(out, binary)
        symbols = mangled_names(list(dict.fromkeys(functions)), binary)
    target = os.path.join(HERE, "startup-order.txt")
    with open(target, "w") as f:
        f.writelines(s + "\n" for s in symbols)
    print(f"wrote {len(symbols)} symbols to {target}")


if __name__ == "__main__":
    main()
