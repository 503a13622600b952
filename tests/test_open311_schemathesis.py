"""Schemathesis over the Open311 part of the OpenAPI: generated requests, valid and not, to every /open311/v2
operation in-process; no server error, and every status, content type and error body as documented.

The operations' strategies are driven with Hypothesis directly (`as_strategy`): schemathesis' own pytest
plugin does not yet work with pytest 9. One check is left out: "a schema-valid request is accepted". The
specification's rules that OpenAPI cannot state (a 90-day window between two dates, a timezone on each,
a location from one of three fields) rightly refuse requests the schema alone would allow."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance


def test_open311_operations_behave_as_documented(app):
    schema = schemathesis.openapi.from_asgi("/openapi.json", app).include(path_regex="^/open311/")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 7, [op.label for op in operations]
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def behaves(case: schemathesis.Case) -> None:
            case.call_and_validate(excluded_checks=[positive_data_acceptance])

        behaves()
