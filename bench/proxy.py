"""nginx in front of a warlens server, configured from the files the hosting guide ships.

    from proxy import start_nginx
    nginx, port = start_nginx(upstream_port, work_dir)

deploy/nginx-cache.conf and deploy/nginx-static.conf are read as they are shipped; only
the upstream address (127.0.0.1:8501 there) and the cache folder are replaced, so the
benchmark measures the configuration the README tells a host to use. The rest of the
server block is the README's, without TLS (the benchmark talks plain HTTP on loopback).
Needs nginx (Debian: `apt-get install nginx-light`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHIPPED_UPSTREAM = "127.0.0.1:8501"
SHIPPED_CACHE = "/var/cache/nginx/warlens"

CONFIG = """
daemon off;
worker_processes 1;
pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    types {{ application/geo+json geojson; application/x-protobuf pbf; }}
    access_log off;
    client_body_temp_path {work}/body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
    {cache}
    server {{
        listen 127.0.0.1:{port};
        {static}
        location = /_stcore/metrics {{ return 404; }}
        location / {{
            proxy_pass http://{upstream};
            proxy_http_version 1.1;
            proxy_set_header Host $host;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection "upgrade";
            proxy_read_timeout 86400;
        }}
    }}
}}
"""


def _shipped(name: str, upstream: str, cache_dir: Path) -> str:
    text = (REPO / "deploy" / name).read_text(encoding="utf-8")
    return text.replace(SHIPPED_UPSTREAM, upstream).replace(SHIPPED_CACHE, str(cache_dir))


def start_nginx(upstream_port: int, port: int, work: Path) -> subprocess.Popen[bytes]:
    """nginx on 127.0.0.1:`port`, in front of 127.0.0.1:`upstream_port`, with an empty cache."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        raise RuntimeError("no nginx: apt-get install nginx-light")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    upstream = f"127.0.0.1:{upstream_port}"
    conf = work / "nginx.conf"
    conf.write_text(CONFIG.format(
        work=work, port=port, upstream=upstream,
        cache=_shipped("nginx-cache.conf", upstream, work / "cache"),
        static=_shipped("nginx-static.conf", upstream, work / "cache")), encoding="utf-8")
    proc = subprocess.Popen(  # noqa: S603 - our own config
        [nginx, "-c", str(conf), "-p", str(work)], stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), urllib.request.urlopen(
                f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as answer:
            if answer.status == 200:
                return proc
        if proc.poll() is not None:
            raise RuntimeError((work / "error.log").read_text(encoding="utf-8"))
        time.sleep(0.2)
    raise RuntimeError("nginx did not answer")


def nginx_pids(proc: subprocess.Popen[bytes]) -> list[int]:
    """The master and its workers (their CPU is the proxy's)."""
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text(encoding="utf-8")
    return [proc.pid, *(int(p) for p in children.split())]


def stop_nginx(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGQUIT)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)
