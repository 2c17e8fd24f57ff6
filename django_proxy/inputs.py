"""Reading the browser's JSON bodies strictly, before anything is claimed or forwarded.

Every malformed body becomes a `ProxyError` (a 4xx `{"detail", "type"}`): not JSON, not an
object, too deeply nested, a number that is not finite (`NaN`, `Infinity`, `1e999`), a lone
UTF-16 surrogate or a NUL character in any string, a form or multipart body where JSON is
expected. What passes is re-encoded as strict UTF-8 JSON for the agent service.
"""

from __future__ import annotations

import json
import math
from typing import Any

from django.http import HttpRequest
from django.http.request import RawPostDataException

from django_proxy.errors import ProxyError

# Deeper than any real lead or message needs; checked before parsing, so a body of 50,000
# opening brackets costs one pass over its bytes, not a RecursionError.
MAX_DEPTH = 32
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")


class Unprocessable(ProxyError):
    """Well-formed JSON whose values cannot be accepted (422)."""

    status_code = 422


class UnsupportedMediaType(ProxyError):
    status_code = 415


def _reject_constant(name: str) -> float:
    raise Unprocessable(f"Numbers must be finite; {name} is not accepted.")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise Unprocessable(f"The number {text[:40]} is too large.")
    return value


def _depth_ok(raw: bytes) -> bool:
    """True if no bracket nesting goes deeper than MAX_DEPTH (strings are skipped)."""
    if raw.count(b"[") + raw.count(b"{") <= MAX_DEPTH:  # the common case, at C speed
        return True
    depth = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > MAX_DEPTH:
                return False
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return True


def _check_text(value: Any) -> None:
    """Refuse lone surrogates and NUL characters in every string (keys included)."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ProxyError("The text contains a NUL character, which is not accepted.")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ProxyError(
                "The text contains an invalid character (a lone UTF-16 surrogate)."
            ) from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key)
            _check_text(item)
    elif isinstance(value, list):
        for item in value:
            _check_text(item)


def raw_body(request: HttpRequest) -> bytes:
    """The request's body bytes; 415 for a form or multipart body (JSON is expected)."""
    content_type = request.content_type or ""
    if content_type in FORM_TYPES:
        raise UnsupportedMediaType(
            "Send the body as JSON (Content-Type: application/json), not as a form."
        )
    try:
        return request.body or b""
    except RawPostDataException:  # read as a form already (e.g. by the CSRF check)
        raise UnsupportedMediaType(
            "Send the body as JSON (Content-Type: application/json)."
        ) from None


def read_json(request: HttpRequest) -> dict[str, Any]:
    """The request's JSON object body, checked; `ProxyError` (4xx) when it is not acceptable."""
    raw = raw_body(request)
    if not _depth_ok(raw):
        raise ProxyError(f"The JSON is nested too deeply (at most {MAX_DEPTH} levels).")
    try:
        body = json.loads(raw, parse_constant=_reject_constant, parse_float=_finite_float)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        if isinstance(exc, ProxyError):
            raise
        raise ProxyError("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise ProxyError("The request body must be a JSON object.")
    _check_text(body)
    return body


def encode(body: Any) -> bytes:
    """Strict JSON bytes for the agent service (the values were checked by `read_json`)."""
    return json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()
