"""The dashboard pages on a 10,000-record store: server time (p50/p95) of the home page and a district page,
and each page's weight (HTML plus the assets it loads, in KB).

    python bench/bench_pages.py                          # builds a 10k sample-city store in a temp dir
    python bench/bench_pages.py --store /tmp/city10k     # reuse (or build once into) a data directory
    python bench/bench_pages.py --repeats 30

Server time is measured in process (FastAPI's TestClient: the app's own work, no network or browser), after
one warm-up request per page (the first builds the shared corpus and the stored summaries, as a running
service has done before its readers arrive). The warm-up times are reported too.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

PASSWORD = "bench password 123"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def assets_of(html: str) -> list[str]:
    """Same-site assets a browser loads for the page: stylesheets, scripts, images."""
    found = re.findall(r'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"', html)
    found += re.findall(r'<(?:script|img)[^>]+src="([^"]+)"', html)
    return list(dict.fromkeys(found))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, help="data directory (built once when empty)")
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--district", default="District 3")
    args = parser.parse_args()
    data_dir = args.store or Path(tempfile.mkdtemp(prefix="bench-pages-")) / "store"
    from bench_api import build_store

    build_store(data_dir, args.records)
    os.environ["SYNTH_DATA_DIR"] = str(data_dir)
    os.environ["SYNTH_API_REQUESTS_PER_MINUTE"] = "100000"

    from fastapi.testclient import TestClient

    from api.main import create_app
    from synth.errors import AccountError
    from synth.services import Services
    from synth.settings import Settings

    services = Services(Settings())
    with contextlib.suppress(AccountError):  # a reused store already has the user
        services.users.add("bench-reader", "leadership", password=PASSWORD)
    client = TestClient(create_app(services))
    form = client.get("/signin").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    signed = client.post("/signin", data={"username": "bench-reader", "password": PASSWORD, "csrf_token": token},
                         follow_redirects=False)
    assert signed.status_code == 303, signed.text
    pages = {"home (/)": "/", f"district ({args.district})": "/districts/" + args.district.replace(" ", "%20")}
    print(f"store: {services.records.count_records()} records, {data_dir}")
    print("| page | warm-up | p50 | p95 | HTML KB | assets KB | total KB |")
    print("|---|---|---|---|---|---|---|")
    for name, url in pages.items():
        start = time.perf_counter()
        first = client.get(url)
        warm = time.perf_counter() - start
        assert first.status_code == 200, (url, first.status_code)
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            res = client.get(url)
            times.append(time.perf_counter() - start)
            assert res.status_code == 200
        html_kb = len(res.content) / 1024
        asset_kb = sum(len(client.get(a).content) for a in assets_of(res.text)) / 1024
        print(f"| {name} | {warm * 1000:.0f} ms | {statistics.median(times) * 1000:.0f} ms | "
              f"{percentile(times, 0.95) * 1000:.0f} ms | {html_kb:.1f} | {asset_kb:.1f} | {html_kb + asset_kb:.1f} |")
    services.close()


if __name__ == "__main__":
    main()
