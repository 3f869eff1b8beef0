#!/usr/bin/env python3
"""Bytes per span and CPU per span of gzip at each libdeflate level against zlib's level 6 (the
Collector's), on an export batch as the bench's batch processor builds one: 82 requests of the
bench's shape (scripts/benchlib/payloads.py, each drawn from its own seed), 8,200 spans. libdeflate
is called through ctypes (Debian libdeflate0). Run it pinned: `taskset -c 0 scripts/gzip-levels.py`."""
import ctypes, os, random, sys, time, zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from benchlib import payloads  # noqa: E402

REQUESTS = 82


def batch():
    """The requests' encodings back to back: the spans of one batch, as OTLP protobuf."""
    seeded = random.Random
    out = b""
    try:
        for seed in range(REQUESTS):
            payloads.random.Random = lambda _seed, s=seed: seeded(s + 1)
            out += payloads.otlp_proto()
    finally:
        payloads.random.Random = seeded
    return out


def cpu_per_call(f, reps=20):
    t = time.process_time()
    for _ in range(reps):
        n = f()
    return n, (time.process_time() - t) / reps


def main():
    data = batch()
    spans = REQUESTS * payloads.SPANS_PER_REQUEST
    lib = ctypes.CDLL("libdeflate.so.0")
    lib.libdeflate_alloc_compressor.restype = ctypes.c_void_p
    lib.libdeflate_alloc_compressor.argtypes = [ctypes.c_int]
    lib.libdeflate_gzip_compress.restype = ctypes.c_size_t
    lib.libdeflate_gzip_compress.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_void_p, ctypes.c_size_t]
    out = ctypes.create_string_buffer(len(data) + 1024)
    z6, t6 = cpu_per_call(lambda: len(zlib.compress(data, 6)))
    per_m = lambda seconds: seconds / spans * 1e6
    print(f"batch of {spans} spans, {len(data)} B ({len(data) / spans:.0f} B/span)\n")
    print("| gzip | B/span | vs zlib 6 | CPU-s/M spans |\n|---|--:|--:|--:|")
    print(f"| zlib 6 | {z6 / spans:.1f} | — | {per_m(t6):.2f} |")
    for level in (1, 2, 3, 4, 5, 6, 7, 9):
        c = lib.libdeflate_alloc_compressor(level)
        n, t = cpu_per_call(lambda: lib.libdeflate_gzip_compress(c, data, len(data), out, len(out)))
        print(f"| libdeflate {level} | {n / spans:.1f} | {n / z6 * 100 - 100:+.1f} % | {per_m(t):.2f} |")
        lib.libdeflate_free_compressor(ctypes.c_void_p(c))


if __name__ == "__main__":
    main()
