"""Starting the page: ``qa ui`` checks its index, data folder, access settings and port here, then
replaces its process with ``streamlit run`` of `qa.serve.server` (the page and the JSON API)."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

from ..errors import QAError
from ..index.default import default_corpus, open_index
from .access import admin_password, bind_warning
from .api import page_index_dir
from .hold import hold_data_folder, release
from .library import Library, data_dir

__all__ = ["access_environment", "check_port_free", "page_environment", "page_script", "serve_page"]


def check_port_free(host: str, port: int) -> None:
    """Fail with one line, before Streamlit starts, if `port` cannot be listened on."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds: TIME_WAIT is no conflict
        try:
            sock.bind((host.strip("[]"), port))
        except OSError as exc:
            reason = exc.strerror or exc
            raise QAError(f"port {port} on {host} is not available ({reason}); choose another with --port") from None


def page_environment(index=None, corpus=None, data=None, log=None) -> dict[str, str]:
    """The page's environment: ``QA_INDEX`` (the index it starts from) or ``QA_CORPUS`` (a folder it
    serves and follows), and ``QA_DATA`` (its own folder). Checks them first, so a bad index or data
    folder is one clear error here, not a broken page."""
    env = {}
    if corpus:
        if index:
            raise QAError("--index and --corpus name two sources; give one")
        if not Path(corpus).is_dir():
            raise QAError(f"{corpus}: is not a folder; --corpus takes a folder of documents")
        env["QA_CORPUS"] = str(Path(corpus).resolve())
        os.environ["QA_CORPUS"] = env["QA_CORPUS"]
        os.environ.pop("QA_INDEX", None)  # the folder is served, not an index named elsewhere
    index = None if corpus else index or os.environ.get("QA_INDEX")
    if index:
        open_index(index)  # fail here, with a clear message, rather than in the page
        env["QA_INDEX"] = str(Path(index).resolve())
    else:
        open_index(None, log=log)  # builds the default corpus's cache before the page starts
    data = data or os.environ.get("QA_DATA")
    if data:
        path = Path(data)
        if path.exists() and not path.is_dir():
            raise QAError(f"{path}: is not a folder; --data takes a folder (created if missing)")
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise QAError(f"{path}: cannot create the data folder ({exc.strerror or exc})") from None
        env["QA_DATA"] = str(path.resolve())
    return env


def access_environment(host: str, allowed_hosts=(), password_file=None, log=None) -> dict[str, str]:
    """The page's access settings: ``QA_UI_HOST``, ``QA_ALLOWED_HOSTS`` and ``QA_ADMIN_PASSWORD_FILE``
    (checked readable and non-empty here; its content is never printed or put in the environment).
    Warns through `log` when binding a non-loopback address with no owner's password."""
    env = {"QA_UI_HOST": host}
    names = [n.strip() for n in allowed_hosts]
    bad = [n for n in names if not n or "," in n or "/" in n or " " in n]
    if bad:
        raise QAError(f"--allowed-host {bad[0]!r} is not a host name (a name such as qa.example.org, or name:port)")
    env["QA_ALLOWED_HOSTS"] = ",".join(names)
    if password_file:
        path = Path(password_file).resolve()
        old = os.environ.get("QA_ADMIN_PASSWORD_FILE")
        os.environ["QA_ADMIN_PASSWORD_FILE"] = str(path)
        try:
            if os.environ.get("QA_ADMIN_PASSWORD"):
                raise QAError("both $QA_ADMIN_PASSWORD and --admin-password-file are set; use one")
            if admin_password() is None:
                raise QAError(f"{path}: the owner's password file is empty")
        finally:
            if old is None:
                os.environ.pop("QA_ADMIN_PASSWORD_FILE")
            else:
                os.environ["QA_ADMIN_PASSWORD_FILE"] = old
        env["QA_ADMIN_PASSWORD_FILE"] = str(path)
        has_password = True
    else:
        has_password = admin_password() is not None
    warning = bind_warning(host, has_password, names)
    if warning and log:
        log(warning)
    return env


def page_script() -> Path:
    """qa/serve/server.py (st.App: the page qa/serve/page.py plus qa.serve.api's routes), found through
    the installed package (a wheel's site-packages or a checkout alike), never the working folder."""
    spec = importlib.util.find_spec("qa.serve.server")
    server = Path(spec.origin).resolve() if spec and spec.origin else None
    if server is None or not (server.is_file() and server.with_name("page.py").is_file()):
        raise QAError(
            f"the page scripts of the installed qa package are missing ({server}); reinstall qa (pip install .)"
        )
    return server


def serve_page(
    host: str, port: int, index=None, corpus=None, data=None, allowed_hosts=(), password_file=None, log=None
) -> int:
    """Check everything, then replace this process with ``streamlit run`` of `page_script` (what
    ``qa ui`` does): the page and its JSON API on ``http://host:port``.

    Parameters
    ----------
    host, port : str, int
        Where to listen; the port is checked free first.
    index, corpus : str or None
        The index the page starts from, or a folder it serves and follows (at most one; neither:
        ``$QA_INDEX`` or the default corpus).
    data : str or None
        The page's own folder (index, uploads, feedback); default ``$QA_DATA`` or `qa.serve.library.data_dir`.
    allowed_hosts : sequence of str
        Host names the page is also served under (``--allowed-host``).
    password_file : str or None
        A file holding the owner's password (``--admin-password-file``).
    log : callable or None
        Receives one-line notes (warnings, where the page is served).

    Raises
    ------
    QAError
        A bad index, data folder, host name or password file, or a port in use: before anything starts.
    qa.serve.hold.DataFolderInUse
        Another live ``qa ui`` serves from the same data folder (`qa.serve.hold`): one page a folder.
    """
    log = log or (lambda message: None)
    server = page_script()
    access = access_environment(host, allowed_hosts, password_file, log)
    env = page_environment(index, corpus, data, log)
    check_port_free(host, port)
    os.environ.update(env)
    os.environ.update(access)
    root = data_dir()
    Library(root)  # creates the folder (one clear error if it cannot)
    source = os.environ.get("QA_INDEX") or str(default_corpus().resolve())
    url = f"http://{host}:{port}"
    hold = hold_data_folder(root, url, source)  # before anything is written there; refuses a second page
    try:
        page_index_dir()  # the page's own index, made in its data folder now, not on first view
        Library(root).readd_missing_uploads(log=log)  # the files of uploads/ are the truth
        cmd = [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(server),
            "--server.address",
            host,
            "--server.port",
            str(port),
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
            "--client.toolbarMode",
            "viewer",  # no Deploy button or developer menu for visitors
        ]
        log(f"qa: serving {url} (JSON API: /api/ask?q=..., /api/health)")
        sys.stderr.flush()
        os.execv(sys.executable, cmd)  # the server process keeps `hold` for its life
    finally:
        release(hold)  # reached only if the exec did not happen (an error, or a test's stand-in for exec)
    return 0  # pragma: no cover
