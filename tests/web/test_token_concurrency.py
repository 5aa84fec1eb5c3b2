"""Many requests at once on one API token whose last use is due to be written: none may wait on
another for ever.

The handlers run on a few threads (SIYU_WEB_THREADS). If a request held the token's row lock
(PostgreSQL) or the database's write lock (SQLite) while waiting for a thread to run its
handler, the requests holding every thread would wait on that lock: a deadlock, seen in the
console benchmark with a fresh token and eight users."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.web.conftest import Site

REQUESTS = 16  # four times the default thread pool


def test_concurrent_first_requests_on_one_token_all_answer(site: Site) -> None:
    headers = {"Authorization": f"Bearer {site.tokens['admin']}"}

    def get(number: int) -> int:
        with httpx.Client(base_url=site.url, headers=headers, timeout=20) as client:
            return client.get("/api/v1/customers", params={"page_size": 1 + number % 3}).status_code

    with ThreadPoolExecutor(REQUESTS) as pool:
        statuses = list(pool.map(get, range(REQUESTS)))
    assert statuses == [200] * REQUESTS
