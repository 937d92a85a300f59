"""The scoring service over HTTP, as the Apply page calls it: a decision, or what to fix."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx

from console.context import ConsoleContext

__all__ = ["Scored", "score_application"]

TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Scored:
    """The service's answer: the decision, or field problems, or why it could not answer."""

    result: dict[str, Any] | None = None
    field_errors: dict[str, str] = field(default_factory=dict)
    error: str | None = None


def score_application(context: ConsoleContext, application: dict[str, Any]) -> Scored:
    """POST /score; a 400 becomes field → problem, anything else a sentence for the officer."""
    headers = {"Authorization": f"Bearer {context.api_key}"} if context.api_key else {}
    try:
        response = httpx.post(
            f"{context.service_url}/score",
            json=application,
            headers=headers,
            timeout=TIMEOUT_SECONDS,
        )
    except httpx.HTTPError as exc:
        return Scored(
            error=f"the scoring service at {context.service_url} did not answer ({exc}); "
            "start it with 'credit-risk serve' (or 'make up')"
        )
    if response.status_code == 200:
        return Scored(result=response.json())
    if response.status_code == 400:
        detail = response.json().get("detail", [])
        problems = {
            ".".join(str(part) for part in problem.get("loc", []) or ["request"]): problem.get(
                "msg", "invalid"
            )
            for problem in detail
            if isinstance(problem, dict)
        }
        return Scored(field_errors=problems or {"request": response.text[:300]})
    try:
        message = response.json().get("error", response.text)
    except ValueError:
        message = response.text
    return Scored(error=f"the scoring service answered {response.status_code}: {message[:300]}")
