"""Who may do what on the page, and which Host names the server answers. No Streamlit here.

Visitors ask questions; the owner also uploads and removes documents, exports feedback and
sees the server's paths. The owner is whoever enters the owner's password (`admin_password`:
``$QA_ADMIN_PASSWORD``, or the first line of the file ``$QA_ADMIN_PASSWORD_FILE`` names, which
``qa ui --admin-password-file FILE`` sets), compared in constant time (`password_matches`).
With no password set, the owner's actions exist only while the server is bound to a loopback
address (`is_loopback`): whoever can reach 127.0.0.1 is on this machine already.

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
    "admin_password",
    "password_matches",
    "is_loopback",
    "bind_address",
    "bind_warning",
    "allowed_hosts",
    "host_allowed",
    "HostCheck",
]

log = logging.getLogger("qa.access")

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
_WILDCARDS = ("", "0.0.0.0", "::", "[::]")


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


def bind_warning(host: str, has_password: bool) -> str | None:
    """The warning ``qa ui`` prints when it binds a non-loopback address with no owner's password."""
    if is_loopback(host) or has_password:
        return None
    return (
        f"qa: warning: serving on {host} without an owner's password: anyone who can reach it can ask, "
        f"but uploading, removing documents and exporting feedback are off; set QA_ADMIN_PASSWORD or "
        f"--admin-password-file FILE to use them"
    )


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
