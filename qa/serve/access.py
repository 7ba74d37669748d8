"""Who may do what on the page, and which Host names the server answers. No Streamlit here.

Visitors ask questions; the owner also uploads and removes documents, exports feedback and
sees the server's paths. The owner is whoever enters the owner's password (`admin_password`:
``$QA_ADMIN_PASSWORD``, or the first line of the file ``$QA_ADMIN_PASSWORD_FILE`` names, which
``qa ui --admin-password-file FILE`` sets), compared in constant time (`password_matches`).
With no password set, the owner is proven, not assumed (`owner_without_password`): the server
serves only loopback names (bound to a loopback address, no ``--allowed-host``: `published`) and
the request reached it as loopback (`request_is_local`: a loopback ``Host`` and ``Origin``, and no
header a proxy adds, `FORWARDING_HEADERS`). A reverse proxy on this machine forwards to a
loopback port, so the bind alone proves nothing: every visitor through it would be the owner.

`HostCheck` is the ASGI middleware ``qa.serve.server`` puts in front of everything (page,
websocket, ``/api/*``): a request whose ``Host`` is not one of the names served (`allowed_hosts`:
the loopback names, the bound address if it is a specific one, and ``$QA_ALLOWED_HOSTS``, which
``qa ui --allowed-host NAME`` sets) gets 403, so a DNS-rebinding page cannot read answers.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
from pathlib import Path

from ..errors import QAError

__all__ = [
    "LOOPBACK_NAMES",
    "FORWARDING_HEADERS",
    "admin_password",
    "password_matches",
    "is_loopback",
    "bind_address",
    "bind_warning",
    "published",
    "request_is_local",
    "owner_without_password",
    "allowed_hosts",
    "host_allowed",
    "HostCheck",
]

log = logging.getLogger("qa.access")

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
_WILDCARDS = ("", "0.0.0.0", "::", "[::]")
# Headers a proxy adds (nginx's and Caddy's usual ones, RFC 7239's, CDNs'): any of them, whatever its
# value, means the request was relayed, so it proves nothing about where the visitor is.
FORWARDING_HEADERS = (
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-host",
    "x-forwarded-proto",
    "x-real-ip",
    "via",
    "x-client-ip",
    "true-client-ip",
    "cf-connecting-ip",
)


def admin_password() -> str | None:
    """The owner's password: ``$QA_ADMIN_PASSWORD``, else the first line of ``$QA_ADMIN_PASSWORD_FILE``;
    None when neither is set (or both are empty).

    Raises `qa.QAError` if the file is named but cannot be read (never quoting its content).
    """
    value = os.environ.get("QA_ADMIN_PASSWORD")
    if value:
        return value
    path = os.environ.get("QA_ADMIN_PASSWORD_FILE")
    if not path:
        return None
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise QAError(
            f"{path}: cannot read the owner's password file ({getattr(exc, 'strerror', None) or exc})"
        ) from None
    line = text.splitlines()[0].strip() if text.strip() else ""
    return line or None


def password_matches(given: str | None, expected: str | None) -> bool:
    """True if `given` is the password `expected` (compared in constant time; None never matches)."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass"))


def is_loopback(address: str | None) -> bool:
    """True for a loopback address or name (127.0.0.0/8, ::1, localhost); False for None, a
    wildcard (0.0.0.0, ::) or any other address."""
    if not address:
        return False
    address = address.strip().strip("[]").lower()
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def bind_address() -> str | None:
    """The address the server is bound to: Streamlit's ``server.address`` option (what ``qa ui
    --host`` passes), else ``$QA_UI_HOST``; None when neither is set, which for
    Streamlit means every interface."""
    try:
        import streamlit as st

        address = st.get_option("server.address")
    except Exception:  # Streamlit missing or its config unreadable: fall back to the environment
        address = None
    return address or os.environ.get("QA_UI_HOST") or None


def bind_warning(host: str, has_password: bool, allowed: tuple[str, ...] | list[str] = ()) -> str | None:
    """What ``qa ui`` says when it serves beyond loopback names (a non-loopback `host`, or `allowed`
    names: ``--allowed-host``) with no owner's password: the owner's actions are off for everyone."""
    if has_password or (is_loopback(host) and not allowed):
        return None
    where = f"on {host}" if not is_loopback(host) else "as " + ", ".join(allowed)
    return (
        f"qa: warning: serving {where} without an owner's password: anyone who can reach it can ask, "
        f"but uploading, removing documents and exporting feedback are off (for requests to localhost "
        f"too); set QA_ADMIN_PASSWORD or --admin-password-file FILE to use them"
    )


def published() -> bool:
    """True if this server serves names beyond the loopback ones: bound to a non-loopback address
    (or every interface), or given ``$QA_ALLOWED_HOSTS`` (``qa ui --allowed-host``)."""
    extra = [n for n in (os.environ.get("QA_ALLOWED_HOSTS") or "").split(",") if n.strip()]
    return bool(extra) or not is_loopback(bind_address())


def _header(headers, name: str) -> str | None:
    value = headers.get(name)
    if value is None:  # a plain dict with other capitals (Streamlit's headers ignore case)
        value = next((v for k, v in headers.items() if k.lower() == name), None)
    return value


def request_is_local(headers) -> bool:
    """True if a request with these headers reached the server as loopback: its ``Host`` is a
    loopback name (any port), its ``Origin``, if any, is a loopback page, and it carries none of the
    `FORWARDING_HEADERS`. (A proxy that rewrites ``Host`` to the loopback port it forwards to still
    passes the browser's ``Origin``.)

    Parameters
    ----------
    headers : mapping of str to str
        The request's headers (``st.context.headers``; names in any case).
    """
    if any(_header(headers, name) is not None for name in FORWARDING_HEADERS):
        return False
    host = _header(headers, "host")
    if not host or not is_loopback(_split(host.strip())[0]):
        return False
    origin = _header(headers, "origin")
    if origin is None:
        return True
    name = origin.strip().lower()
    if "://" not in name:
        return False  # "null" (a sandboxed or file page) or nonsense
    return is_loopback(_split(name.split("://", 1)[1].split("/", 1)[0])[0])


def owner_without_password(headers) -> bool:
    """With no owner's password set: may this request use the owner's actions? Only if the server
    is not `published` and the request `request_is_local`.

    Parameters
    ----------
    headers : mapping or None
        The request's headers; None when there is no request (a script run headless, e.g. by
        Streamlit's AppTest): then the bind alone decides. A served request always has a ``Host``
        (`HostCheck` refuses one without).
    """
    if published():
        return False
    return headers is None or request_is_local(headers)


def _norm(name: str) -> str:
    return name.strip().lower().rstrip(".")


def allowed_hosts() -> set[str]:
    """The Host names served: the loopback names, the bound address if it is a specific one,
    and every name in ``$QA_ALLOWED_HOSTS`` (comma-separated; a name may carry a port)."""
    names = set(LOOPBACK_NAMES)
    bound = bind_address()
    if bound and bound not in _WILDCARDS:
        names.add(f"[{bound}]" if ":" in bound and not bound.startswith("[") else bound)
    names.update(n for n in (os.environ.get("QA_ALLOWED_HOSTS") or "").split(",") if n.strip())
    return {_norm(n) for n in names}


def _split(host: str) -> tuple[str, str | None]:
    """``name[:port]`` (the name may be a bracketed IPv6 address) -> (name, port or None)."""
    if host.startswith("["):
        end = host.find("]")
        if end < 0:
            return host, None
        rest = host[end + 1 :]
        return host[: end + 1], rest[1:] if rest.startswith(":") else None
    if host.count(":") == 1:
        name, port = host.split(":")
        return name, port
    return host, None


def host_allowed(host: str | None, port: int | None, allowed: set[str]) -> bool:
    """True if a request's ``Host`` header names this server: an allowed name, with no port or
    the port served (or exactly an allowed ``name:port``)."""
    if not host:
        return False
    host = _norm(host)
    if host in allowed:  # a bare name, or exactly an allowed name:port
        return True
    name, p = _split(host)
    return name in allowed and p is not None and port is not None and p == str(port)


class HostCheck:
    """ASGI middleware: 403 for any HTTP request or websocket whose ``Host`` is not served.

    Parameters
    ----------
    app : ASGI app
    allowed : set of str, optional
        The names served (default `allowed_hosts`, read once at start).
    """

    def __init__(self, app, allowed: set[str] | None = None):
        self.app = app
        self.allowed = {_norm(n) for n in allowed} if allowed is not None else allowed_hosts()

    async def __call__(self, scope, receive, send):
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        host = None
        for key, value in scope.get("headers") or ():
            if key == b"host":
                host = value.decode("latin-1")
                break
        server = scope.get("server")
        port = server[1] if server and len(server) > 1 else None
        if host_allowed(host, port, self.allowed):
            return await self.app(scope, receive, send)
        log.warning(
            "refused a request for Host %r (not a name this server serves; see qa ui --allowed-host)",
            (host or "")[:100],
        )
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})  # before accept: the server answers 403
            return
        body = b'{"error": "this server does not serve that Host name (see qa ui --allowed-host)"}'
        await send(
            {
                "type": "http.response.start",
                "status": 403,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})
