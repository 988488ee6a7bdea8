"""Peak RSS a request body costs the server: one 64 MiB body sent to a route that ignores it,
as a plain body (held once: moved from the connection into httplib's Request) and as a multipart
upload (still read through httplib, beside the connection's copy). Prints the growth of the
server's VmHWM for each. Usage: /usr/bin/python3 bench/load/body_memory.py [BUILD_DIR]"""
import re
import socket
import subprocess
import sys
import time

BUILD = sys.argv[1] if len(sys.argv) > 1 else "build"
BODY_BYTES = 64 << 20


def peak_rss_mib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return -1


def measure(kind):
    server = subprocess.Popen([f"{BUILD}/tests/server/upres_test_server", "--max-upload-bytes", str(4 * BODY_BYTES)],
                              stdout=subprocess.PIPE, text=True)
    port = int(re.search(r":(\d+)", server.stdout.readline()).group(1))
    time.sleep(0.3)
    before = peak_rss_mib(server.pid)
    if kind == "plain":
        body, content_type = b"x" * BODY_BYTES, "application/octet-stream"
    else:
        body = (b'--B\r\nContent-Disposition: form-data; name="f"; filename="a"\r\n\r\n' + b"x" * BODY_BYTES +
                b"\r\n--B--\r\n")
        content_type = "multipart/form-data; boundary=B"
    head = (f"POST /api/v1/nothing-here HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    with socket.create_connection(("127.0.0.1", port)) as client:
        client.sendall(head + body)
        status = client.recv(12).decode()
    time.sleep(0.2)
    grown = peak_rss_mib(server.pid) - before
    server.terminate()
    server.wait()
    print(f"{kind:9s} {status}: server peak RSS +{grown:.1f} MiB for a {BODY_BYTES >> 20} MiB body")


measure("plain")
measure("multipart")
