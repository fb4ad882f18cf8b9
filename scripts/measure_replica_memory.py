"""Memory of one app replica: a `streamlit run` server, idle, then with 1 and N browser sessions.

Serving the app to many users means running several replicas (one `streamlit run` process each)
behind a load balancer with sticky sessions (docs/scale.md). This script measures what one replica
costs: the server's resident memory (RSS, process tree) right after start, after one headless
Chromium session has opened every application page (models load on first use and stay in
st.cache_resource), and after N more concurrent sessions did the same (per-session state).

    python scripts/measure_replica_memory.py --sessions 4 [--pages classify sentiment]

Needs playwright and Debian's /usr/bin/chromium (as the browser tests). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil
from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CNNAPPS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _rss_mb(proc: psutil.Process) -> float:
    procs = [proc, *proc.children(recursive=True)]
    return sum(p.memory_info().rss for p in procs if p.is_running()) / 2**20


def _wait_for_app(page, timeout_ms: int = 240_000) -> None:
    page.wait_for_selector("[data-testid='stAppViewContainer']", timeout=timeout_ms)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']",
                           state="attached", timeout=timeout_ms)
    page.wait_for_timeout(1000)


def _visit(context, url: str, pages: list[str]) -> None:
    page = context.new_page()
    for name in pages:
        page.goto(f"{url}/{name}")
        _wait_for_app(page)
        if page.locator("[data-testid='stException']").count():
            raise RuntimeError(f"page {name} shows an exception")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=4, help="extra concurrent sessions (default 4)")
    parser.add_argument("--pages", nargs="+", default=None,
                        help="URL paths to open (default: every pages/*.py except home)")
    args = parser.parse_args()
    pages = args.pages or sorted(p.stem for p in (REPO / "pages").glob("*.py") if p.stem != "home")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "CNNAPPS_OFFLINE": "1", "CNNAPPS_DEVICE": "cpu"}
    log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)  # noqa: SIM115
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.headless=true",
         f"--server.port={port}", "--server.address=127.0.0.1", "--browser.gatherUsageStats=false",
         "--server.fileWatcherType=none"], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    proc = psutil.Process(server.pid)
    results: list[tuple[str, float]] = []
    profiles: list[str] = []
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("streamlit did not become healthy") from None
                time.sleep(0.5)
        time.sleep(2)
        results.append(("server started, no session", _rss_mb(proc)))
        with sync_playwright() as pw:
            contexts = []
            for _ in range(1 + args.sessions):
                profile = tempfile.mkdtemp(prefix="cnnapps-mem-")
                profiles.append(profile)
                contexts.append(pw.chromium.launch_persistent_context(
                    profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS))
            _visit(contexts[0], url, pages)
            time.sleep(2)
            results.append((f"1 session opened {', '.join(pages)} (models loaded)", _rss_mb(proc)))
            for context in contexts[1:]:
                _visit(context, url, pages)
            time.sleep(2)
            results.append((f"{1 + args.sessions} sessions, all pages", _rss_mb(proc)))
            for context in contexts:
                context.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
        os.unlink(log.name)
        for profile in profiles:
            shutil.rmtree(profile, ignore_errors=True)
    print("| state | server RSS (MiB) |\n|---|---:|")
    for state, mb in results:
        print(f"| {state} | {mb:.0f} |")
    per_session = (results[2][1] - results[1][1]) / max(args.sessions, 1)
    print(f"\nper extra session: {per_session:.1f} MiB (python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
