"""A tiny local HTTP server for the HTTP DAGs of the corpus (stdlib only, so Airflow's venv
can use it too): GET /ready -> "yes", POST /echo -> the request body, anything else -> 404."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        return None

    def _reply(self, code: int, body: bytes, kind: str = "text/plain") -> None:
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # http.server's name
        if self.path.rstrip("/") == "/ready":
            self._reply(200, b"yes")
        else:
            self._reply(404, b"not found")

    def do_POST(self) -> None:  # http.server's name
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if self.path.rstrip("/") == "/echo":
            self._reply(200, body, "application/json")
        else:
            self._reply(404, b"not found")


def start() -> tuple[ThreadingHTTPServer, str]:
    """Serve on a free loopback port in a daemon thread; returns (server, base URL)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"
