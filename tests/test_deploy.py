"""The nginx snippets in deploy/ fit the README's proxy example, and nginx accepts them."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
DEPLOY = REPO_ROOT / "deploy"
README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def readme_nginx_example() -> str:
    blocks = re.findall(r"```nginx\n(.*?)```", README, re.S)
    assert len(blocks) == 1, "README has one nginx example"
    return blocks[0]


def test_the_readme_example_includes_the_static_snippet_and_both_reach_the_same_server() -> None:
    example = readme_nginx_example()
    assert "include /etc/nginx/snippets/warlens-static.conf;" in example
    upstreams = set(re.findall(r"proxy_pass (\S+);", example))
    snippet = (DEPLOY / "nginx-static.conf").read_text(encoding="utf-8")
    assert set(re.findall(r"proxy_pass (\S+);", snippet)) == upstreams
    # The snippet's cache zone is the one nginx-cache.conf declares.
    zones = set(re.findall(r"keys_zone=(\w+):", (DEPLOY / "nginx-cache.conf").read_text("utf-8")))
    assert set(re.findall(r"proxy_cache (\w+);", snippet)) == zones


def test_nginx_accepts_the_readme_example_with_the_snippets(tmp_path: Path) -> None:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        pytest.skip("nginx is not installed (Debian: nginx-light)")
    # The example without TLS (no certificate here) and with the snippets where it says.
    example = readme_nginx_example()
    example = re.sub(r"listen 443 ssl( default_server)?;", r"listen 127.0.0.1:8443\1;", example)
    example = re.sub(r"\s*(ssl_\w+) [^;]*;", "", example)
    example = example.replace("/etc/nginx/snippets/warlens-static.conf",
                              str(DEPLOY / "nginx-static.conf"))
    cache = (DEPLOY / "nginx-cache.conf").read_text(encoding="utf-8").replace(
        "/var/cache/nginx/warlens", str(tmp_path / "cache"))
    conf = tmp_path / "nginx.conf"
    conf.write_text(f"pid {tmp_path}/nginx.pid; error_log {tmp_path}/error.log;\n"
                    "events {}\nhttp {\n include /etc/nginx/mime.types;\n"
                    f" access_log off; proxy_temp_path {tmp_path}/proxy;\n"
                    f" client_body_temp_path {tmp_path}/body;\n{cache}\n{example}\n}}\n",
                    encoding="utf-8")
    checked = subprocess.run([nginx, "-t", "-c", str(conf), "-p", str(tmp_path)],
                             capture_output=True, text=True, check=False)
    assert checked.returncode == 0, checked.stderr
