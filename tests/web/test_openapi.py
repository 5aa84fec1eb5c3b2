"""Property-based API testing: schemathesis generates requests from the OpenAPI schema of the
live server, for every operation; no request may end in a 5xx."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import Case

from tests.web.conftest import Site


def test_no_server_errors(site: Site) -> None:
    schema = schemathesis.openapi.from_url(f"{site.url}/api/v1/openapi.json")
    headers = {"Authorization": f"Bearer {site.tokens['admin']}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 7
    failures: list[str] = []
    for operation in operations:

        @settings(max_examples=15, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        @given(case=operation.as_strategy())
        def call(case: Case) -> None:
            response = case.call(base_url=site.url, headers=headers)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path}: {response.status_code}")

        call()
    assert failures == []
