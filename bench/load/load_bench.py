#!/usr/bin/env python3
"""bench/load: `upres serve` under load and hostile connections (issue 16).

50 clients POST /sdapi/v1/extra-single-image (64x64 PNG, alternately Lanczos and a Compact
model) while 500 idle connections and 20 slow-body uploads are held open. A separate process
polls GET /sdapi/v1/progress and GET / (the page) on fresh connections the whole time. Reports
whether every request completed, p50/p99 latency of progress and the page, the server's peak RSS
(VmHWM), then the same with --api-auth. Standard library only.

Usage: bench/load/load_bench.py BUILD_DIR [--models models] [--clients 50] [--idle 500]
       [--slow 20] [--requests 8]
"""
import argparse
import asyncio
import base64
import json
import multiprocessing
import os
import re
import resource
import signal
import socket
import struct
import subprocess
import sys
import time
import zlib


def png_64x64():
    """A 64x64 RGB gradient PNG, written by hand (no PIL needed)."""
    width = height = 64
    rows = b"".join(
        b"\x00" + bytes(((x * 4 + c * 60 + y * 2) % 256) for x in range(width) for c in range(3))
        for y in range(height))

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) +
            chunk(b"IEND", b""))


def percentile(values, fraction):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def vm_kib(pid, field):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return -1


def auth_header(auth):
    if not auth:
        return ""
    return "Authorization: Basic " + base64.b64encode(auth.encode()).decode() + "\r\n"


async def http_request(port, method, path, auth, body=b"", content_type="application/json"):
    """One request on a fresh connection; returns (status, body)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        head = (f"{method} {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n"
                f"{auth_header(auth)}")
        if body:
            head += f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
        writer.write(head.encode() + b"\r\n" + body)
        await writer.drain()
        status_line = await reader.readline()
        status = int(status_line.split()[1])
        length = None
        while True:
            line = await reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode().partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        payload = await (reader.readexactly(length) if length is not None else reader.read())
        return status, payload
    finally:
        writer.close()


async def upscale_client(port, auth, picture, upscalers, requests, results):
    for i in range(requests):
        upscaler = upscalers[i % len(upscalers)]
        body = json.dumps({"image": picture, "upscaler_1": upscaler, "upscaling_resize": 2}).encode()
        started = time.monotonic()
        try:
            status, payload = await http_request(port, "POST", "/sdapi/v1/extra-single-image", auth,
                                                 body)
            ok = status == 200 and json.loads(payload).get("image")
            results.append((upscaler, bool(ok), time.monotonic() - started,
                            None if ok else f"{status} {payload[:200]!r}"))
        except Exception as error:  # noqa: BLE001 - counted as a failure and reported
            results.append((upscaler, False, time.monotonic() - started, repr(error)))


class HeldConnections:
    """Idle connections that send nothing, and slow uploads that send 64 bytes a second."""

    def __init__(self, port, auth):
        self.port, self.auth = port, auth
        self.idle, self.slow = [], []
        self.closed_by_server = {"idle": 0, "slow": 0}
        self.tasks = []

    async def open_idle(self, count):
        for _ in range(count):
            self.idle.append(await asyncio.open_connection("127.0.0.1", self.port))

    async def slow_upload(self):
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.slow.append((reader, writer))
        writer.write((f"POST /sdapi/v1/extra-single-image HTTP/1.1\r\nHost: bench\r\n"
                      f"{auth_header(self.auth)}Content-Type: application/json\r\n"
                      f"Content-Length: 1000000\r\n\r\n").encode())
        try:
            while True:
                writer.write(b" " * 64)
                await writer.drain()
                await asyncio.sleep(1.0)
                if reader.at_eof():
                    self.closed_by_server["slow"] += 1
                    return
        except (ConnectionError, asyncio.CancelledError):
            return

    def idle_still_open(self):
        alive = 0
        for reader, _ in self.idle:
            if not reader.at_eof():
                alive += 1
        return alive

    def close(self):
        for task in self.tasks:
            task.cancel()
        for _, writer in self.idle + self.slow:
            writer.close()


def probe(port, auth, stop, out):
    """Own process: GET progress and the page alternately, each on a fresh connection."""
    latencies = {"progress": [], "page": []}
    errors = []
    paths = [("progress", "/sdapi/v1/progress"), ("page", "/")]
    i = 0
    while not stop.is_set():
        name, path = paths[i % 2]
        i += 1
        started = time.monotonic()
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
                connection.sendall((f"GET {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n"
                                    f"{auth_header(auth)}\r\n").encode())
                data = b""
                while True:
                    part = connection.recv(65536)
                    if not part:
                        break
                    data += part
            elapsed = time.monotonic() - started
            if not data.startswith(b"HTTP/1.1 200"):
                errors.append(f"{path}: {data[:80]!r}")
            latencies[name].append(elapsed)
        except OSError as error:
            errors.append(f"{path}: {error!r}")
        time.sleep(0.02)
    out.put((latencies, errors))


async def probe_during(port, auth, awaitable):
    """Runs probe() in its own process while `awaitable` runs; returns its latencies and errors."""
    stop = multiprocessing.Event()
    out = multiprocessing.Queue()
    prober = multiprocessing.Process(target=probe, args=(port, auth, stop, out))
    prober.start()
    await awaitable
    stop.set()
    latencies, errors = await asyncio.get_running_loop().run_in_executor(None, out.get, True, 60)
    prober.join()
    return latencies, errors


def start_server(binary, models, auth):
    command = [binary, "serve", "--listen", "127.0.0.1", "--port", "0", "--models", models,
               "--max-connections-per-client", "2000", "--idle-timeout", "600"]
    if auth:
        command += ["--api-auth", auth]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = server.stdout.readline()
        match = re.search(r"serving on http://[^:]+:(\d+)", line)
        if match:
            return server, int(match.group(1))
        if not line and server.poll() is not None:
            break
    server.kill()
    raise SystemExit(f"load_bench: {' '.join(command)} did not start")


async def pick_upscalers(port, auth):
    status, payload = await http_request(port, "GET", "/sdapi/v1/upscalers", auth)
    names = [u["name"] for u in json.loads(payload)]
    # realesr-animevideov3 (SRVGGNetCompact) is the Compact model installed under models/.
    compact = [n for n in names if n == "R-ESRGAN AnimeVideo"] or [n for n in names if "4xV3" in n]
    if not compact:
        raise SystemExit(f"load_bench: no Compact (SRVGGNet) model among {names}; pass --models")
    return ["Lanczos", compact[0]]


async def run_once(args, auth):
    server, port = start_server(args.binary, args.models, auth)
    try:
        upscalers = await pick_upscalers(port, auth)
        # Baseline in the same run: the same probes against the server with nothing else open.
        baseline, baseline_errors = await probe_during(port, auth, asyncio.sleep(3))
        picture = "data:image/png;base64," + base64.b64encode(png_64x64()).decode()
        held = HeldConnections(port, auth)
        await held.open_idle(args.idle)
        held.tasks = [asyncio.create_task(held.slow_upload()) for _ in range(args.slow)]
        await asyncio.sleep(1.0)  # every held connection is in place before the load starts

        results = []
        started = time.monotonic()
        latencies, probe_errors = await probe_during(
            port, auth,
            asyncio.gather(*(upscale_client(port, auth, picture, upscalers, args.requests, results)
                             for _ in range(args.clients))))
        load_seconds = time.monotonic() - started
        probe_errors += baseline_errors

        idle_alive = held.idle_still_open()
        slow_alive = sum(1 for task in held.tasks if not task.done())
        peak_kib = vm_kib(server.pid, "VmHWM")
        threads = int(open(f"/proc/{server.pid}/status").read().split("Threads:")[1].split()[0])
        held.close()
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()

    failures = [r for r in results if not r[1]]
    print(f"\n## {'with --api-auth' if auth else 'no auth'}: {args.clients} clients x "
          f"{args.requests} requests ({', '.join(upscalers)}), {args.idle} idle + {args.slow} "
          f"slow-body connections held")
    print(f"requests: {len(results)} done, {len(failures)} failed, in {load_seconds:.1f} s "
          f"({len(results) / load_seconds:.2f} req/s)")
    for name in upscalers:
        times = [r[2] for r in results if r[0] == name and r[1]]
        print(f"  {name}: p50 {percentile(times, 0.5):.2f} s, p99 {percentile(times, 0.99):.2f} s "
              f"(queued behind the others: one job runs at a time)")
    for failure in failures[:5]:
        print(f"  failed: {failure[0]}: {failure[3]}")
    for name in ("progress", "page"):
        values = [v * 1000 for v in latencies[name]]
        idle = [v * 1000 for v in baseline[name]]
        print(f"GET {'/sdapi/v1/progress' if name == 'progress' else '/ (page)'}: {len(values)} "
              f"probes, p50 {percentile(values, 0.5):.1f} ms, p99 {percentile(values, 0.99):.1f} ms,"
              f" max {max(values) if values else float('nan'):.1f} ms; idle server before: p50 "
              f"{percentile(idle, 0.5):.1f} ms, p99 {percentile(idle, 0.99):.1f} ms (p99 ratio "
              f"{percentile(values, 0.99) / percentile(idle, 0.99):.1f}x)")
    print(f"probe errors: {len(probe_errors)}" + (f" (first: {probe_errors[0]})" if probe_errors else ""))
    print(f"held at the end: {idle_alive}/{args.idle} idle, {slow_alive}/{args.slow} slow-body "
          f"still open")
    print(f"server peak RSS (VmHWM): {peak_kib / 1024:.0f} MiB; threads at the end: {threads}")
    progress_p99 = percentile([v * 1000 for v in latencies["progress"]], 0.99)
    return not failures and not probe_errors and progress_p99 <= 100


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("build_dir")
    parser.add_argument("--models", default="models")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--idle", type=int, default=500)
    parser.add_argument("--slow", type=int, default=20)
    parser.add_argument("--requests", type=int, default=8, help="per client")
    parser.add_argument("--auth", default="bench:secret")
    args = parser.parse_args()
    args.binary = os.path.join(args.build_dir, "src", "cli", "upres")
    if not os.path.exists(args.binary):
        args.binary = os.path.join(args.build_dir, "upres")
    # Our side holds ~600 sockets at once.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    print(f"cpu: {subprocess.run(['lscpu'], capture_output=True, text=True).stdout.split('Model name:')[1].splitlines()[0].strip()}, "
          f"{os.cpu_count()} cores; server {args.binary}")
    ok = asyncio.run(run_once(args, ""))
    ok = asyncio.run(run_once(args, args.auth)) and ok
    print("\nresult:", "every request completed, progress p99 <= 100 ms" if ok else "GOAL NOT MET")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
