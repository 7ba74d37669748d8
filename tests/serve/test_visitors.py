"""Visitors and an owner (issue 15): private recent questions, the owner's password, the Host
names the server answers, and the warning for a non-loopback bind without a password."""

from __future__ import annotations

import base64
import os
import socket

import pytest
from pages import _ask, _page, _tab, _texts, documents_table
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

import qa.serve.access as access
from qa.cli import main
from qa.serve.render import escape

pytestmark = pytest.mark.usefixtures("isolated_page")
QUESTION = "Where do I go to pay social security myself?"
OTHER = "What is the capital of France?"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def seed_index(saved_corpus_index, monkeypatch):
    monkeypatch.setenv("QA_INDEX", str(saved_corpus_index))
    return saved_corpus_index


@pytest.fixture
def no_delay(monkeypatch):
    monkeypatch.setattr("qa.serve.page.WRONG_PASSWORD_DELAY", 0)


def _recent(at) -> list[str]:
    return [b.label for b in at.sidebar.button if (b.key or "").startswith("recent-")]


def _owner_things(at) -> dict:
    """What only the owner gets: upload, remove, export and server paths (Documents tab open)."""
    sidebar = " ".join(m.value for m in at.sidebar.markdown) + " ".join(c.value for c in at.sidebar.caption)
    return {
        "upload": bool(at.file_uploader),
        "add": any(b.key == "add" for b in at.button),
        "export": bool(at.sidebar.get("download_button")),
        "paths": "Page data" in sidebar or "feedback.sqlite" in sidebar,
    }


# -- each session's own questions ---------------------------------------------------------------------


def test_two_sessions_do_not_see_each_others_questions(seed_index, tmp_path):
    alice = _ask(_page(), QUESTION)
    bob = _ask(_page(), OTHER)
    alice.run()
    assert _recent(alice) == [escape(QUESTION)]
    assert _recent(bob) == [escape(OTHER)]
    carol = _page()
    assert _recent(carol) == [] and not any(h.value == "Recent questions" for h in carol.sidebar.subheader)


# -- the owner's password -------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["env", "file"])
def test_with_a_password_owner_actions_are_hidden_until_it_is_entered(
    seed_index, tmp_path, monkeypatch, no_delay, how, caplog
):
    if how == "env":
        monkeypatch.setenv("QA_ADMIN_PASSWORD", PASSWORD)
    else:
        (tmp_path / "pw").write_text(PASSWORD + "\n")
        monkeypatch.setenv("QA_ADMIN_PASSWORD_FILE", str(tmp_path / "pw"))
    at = _tab(_page(), "Documents")
    assert not at.exception
    assert _owner_things(at) == {"upload": False, "add": False, "export": False, "paths": False}
    assert documents_table(at)  # visitors still see the document list

    at.text_input(key="owner-password").input("wrong " + PASSWORD)
    next(b for b in at.sidebar.button if b.label == "Sign in").click()
    at.run()
    assert [e.value for e in at.error] == ["Wrong password."]
    assert _owner_things(at) == {"upload": False, "add": False, "export": False, "paths": False}
    assert at.text_input(key="owner-password").value == ""  # not kept in the session

    at.text_input(key="owner-password").input(PASSWORD)
    next(b for b in at.sidebar.button if b.label == "Sign in").click()
    at.run()
    assert not at.error and any("Signed in" in s.value for s in at.success)
    assert _owner_things(at) == {"upload": True, "add": True, "export": True, "paths": True}
    assert at.session_state["owner-password"] == ""
    shown = " ".join(_texts(at)) + " ".join(str(e.value) for e in at.text_input)
    assert PASSWORD not in shown and PASSWORD not in caplog.text  # never shown or logged

    other = _tab(_page(), "Documents")  # another session is still a visitor
    assert _owner_things(other)["upload"] is False

    next(b for b in at.sidebar.button if b.label == "Sign out").click()
    at.run()
    assert _owner_things(at)["upload"] is False


def test_without_a_password_on_loopback_owner_actions_are_there(seed_index):
    at = _tab(_page(), "Documents")
    assert _owner_things(at) == {"upload": True, "add": True, "export": True, "paths": True}
    assert not any(t.key == "owner-password" for t in at.text_input)  # no sign-in: the quick start needs none


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.7"])
def test_without_a_password_off_loopback_owner_actions_do_not_exist(seed_index, monkeypatch, host):
    monkeypatch.setenv("QA_UI_HOST", host)
    at = _tab(_page(), "Documents")
    assert not at.exception
    assert _owner_things(at) == {"upload": False, "add": False, "export": False, "paths": False}
    assert not any(t.key == "owner-password" for t in at.text_input)
    assert any("no owner's password" in c.value for c in at.sidebar.caption)


def test_password_is_compared_in_constant_time(monkeypatch):
    calls = []
    real = access.hmac.compare_digest
    monkeypatch.setattr(access.hmac, "compare_digest", lambda a, b: calls.append((a, b)) or real(a, b))
    assert access.password_matches(PASSWORD, PASSWORD)
    assert not access.password_matches("x", PASSWORD) and not access.password_matches("", "")
    assert not access.password_matches(PASSWORD, None)
    assert len(calls) == 2


def test_an_unreadable_password_file_is_one_line_and_not_quoted(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("QA_ADMIN_PASSWORD_FILE", str(tmp_path / "missing"))
    with pytest.raises(access.QAError, match="cannot read the owner's password file"):
        access.admin_password()
    (tmp_path / "empty").write_text("\n")
    monkeypatch.setenv("QA_ADMIN_PASSWORD_FILE", str(tmp_path / "empty"))
    assert access.admin_password() is None


# -- the warning for a bind beyond this machine ---------------------------------------------------------


def test_bind_warning():
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        assert access.bind_warning(host, has_password=False) is None
    warning = access.bind_warning("0.0.0.0", has_password=False)
    assert warning.startswith("qa: warning:") and "0.0.0.0" in warning and "QA_ADMIN_PASSWORD" in warning
    assert access.bind_warning("0.0.0.0", has_password=True) is None


@pytest.fixture
def fake_start(monkeypatch):
    """qa ui up to the exec, without binding anything: what it would start, and its environment."""
    started = {}
    for name in ("QA_INDEX", "QA_DATA", "QA_UI_HOST", "QA_ALLOWED_HOSTS", "QA_ADMIN_PASSWORD_FILE"):
        monkeypatch.setenv(name, "unused")
        monkeypatch.delenv(name)
    monkeypatch.setattr("qa.serve.launch.check_port_free", lambda host, port: None)

    def fake_exec(path, argv):
        started.update(argv=argv, env=dict(os.environ))
        raise SystemExit(0)

    monkeypatch.setattr("os.execv", fake_exec)
    return started


def test_ui_host_without_a_password_warns(fake_start, saved_corpus_index, tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(
            [
                "ui",
                "--index",
                str(saved_corpus_index),
                "--data",
                str(tmp_path / "d"),
                "--host",
                "0.0.0.0",
                "--allowed-host",
                "qa.example.org",
            ]
        )
    err = capsys.readouterr().err
    assert "qa: warning: serving on 0.0.0.0 without an owner's password" in err
    argv = fake_start["argv"]
    assert argv[argv.index("--server.address") + 1] == "0.0.0.0"
    assert fake_start["env"]["QA_UI_HOST"] == "0.0.0.0"
    assert fake_start["env"]["QA_ALLOWED_HOSTS"] == "qa.example.org"


def test_ui_with_a_password_file_does_not_warn_and_never_prints_it(fake_start, saved_corpus_index, tmp_path, capsys):
    (tmp_path / "pw").write_text(PASSWORD + "\n")
    with pytest.raises(SystemExit):
        main(
            [
                "ui",
                "--index",
                str(saved_corpus_index),
                "--data",
                str(tmp_path / "d"),
                "--host",
                "0.0.0.0",
                "--admin-password-file",
                str(tmp_path / "pw"),
            ]
        )
    err = capsys.readouterr().err
    assert "warning" not in err and PASSWORD not in err
    assert fake_start["env"]["QA_ADMIN_PASSWORD_FILE"] == str((tmp_path / "pw").resolve())
    assert PASSWORD not in " ".join(fake_start["env"].values())  # the file's name, not its content


def test_ui_default_is_loopback_without_a_warning(fake_start, saved_corpus_index, tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["ui", "--index", str(saved_corpus_index), "--data", str(tmp_path / "d")])
    assert "warning" not in capsys.readouterr().err
    argv = fake_start["argv"]
    assert argv[argv.index("--server.address") + 1] == "127.0.0.1"
    assert argv[argv.index("--client.toolbarMode") + 1] == "viewer"  # no Deploy button or developer menu


def test_ui_refuses_an_empty_password_file(fake_start, saved_corpus_index, tmp_path, capsys):
    (tmp_path / "pw").write_text("")
    code = main(["ui", "--index", str(saved_corpus_index), "--admin-password-file", str(tmp_path / "pw")])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("qa: error:") and "empty" in err and err.count("\n") == 1


# -- only its own Host names ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host, allowed",
    [
        ("localhost", True),
        ("localhost:8501", True),
        ("127.0.0.1:8501", True),
        ("[::1]:8501", True),
        ("[::1]", True),
        ("LOCALHOST:8501", True),
        ("localhost.", True),
        ("localhost:9999", False),
        ("attacker.example", False),
        ("attacker.example:8501", False),
        ("127.0.0.1.attacker.example", False),
        ("", False),
        (None, False),
        ("qa.example.org", True),
        ("qa.example.org:8501", True),
        ("qa.example.org:1", False),
    ],
)
def test_host_allowed(host, allowed):
    names = {*access.LOOPBACK_NAMES, "qa.example.org"}
    assert access.host_allowed(host, 8501, names) is allowed


def test_host_check_middleware_refuses_http_and_websocket():
    async def ws(websocket):
        await websocket.accept()
        await websocket.send_text("hi")
        await websocket.close()

    app = Starlette(routes=[Route("/", lambda r: PlainTextResponse("ok")), WebSocketRoute("/ws", ws)])
    client = TestClient(access.HostCheck(app, allowed={"localhost"}), base_url="http://localhost")
    assert client.get("/").status_code == 200
    assert client.get("/", headers={"host": "attacker.example"}).status_code == 403
    with client.websocket_connect("ws://localhost/ws") as conn:
        assert conn.receive_text() == "hi"
    with pytest.raises(WebSocketDisconnect):
        with client.websocket_connect("/ws", headers={"host": "attacker.example"}):
            pass


def _raw(port: int, path: str, host: str, websocket: bool = False) -> int:
    """The status of one raw HTTP/1.1 request to 127.0.0.1 with the given Host header."""
    headers = [f"GET {path} HTTP/1.1", f"Host: {host}", "Connection: close"]
    if websocket:
        key = base64.b64encode(os.urandom(16)).decode()
        headers[2] = "Connection: Upgrade"
        headers += [
            "Upgrade: websocket",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
            "Sec-WebSocket-Protocol: streamlit",
            f"Origin: http://{host}",
        ]
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        sock.sendall(("\r\n".join(headers) + "\r\n\r\n").encode())
        line = b""
        while b"\r\n" not in line:
            chunk = sock.recv(1024)
            if not chunk:
                break
            line += chunk
    return int(line.split(b" ", 2)[1])


def test_a_running_server_answers_only_its_own_host_names(saved_corpus_index, tmp_path):
    from serving import qa_ui

    with qa_ui(
        tmp_path, saved_corpus_index, tmp_path / "data", extra_args=("--allowed-host", "qa.example.org")
    ) as server:
        port = server["port"]
        for host in ("attacker.example", f"attacker.example:{port}", f"localhost:{port + 1}"):
            assert _raw(port, "/", host) == 403
            assert _raw(port, "/api/ask?q=pay", host) == 403
            assert _raw(port, "/api/health", host) == 403
            assert _raw(port, "/_stcore/stream", host, websocket=True) == 403
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", "localhost", "qa.example.org", f"[::1]:{port}"):
            assert _raw(port, "/", host) == 200
            assert _raw(port, "/api/ask?q=pay", host) == 200
        assert _raw(port, "/_stcore/stream", f"127.0.0.1:{port}", websocket=True) == 101


# -- the owner's view: what the documents are missing ----------------------------------------------------

UNANSWERED = "What colour are the unicorns of Zanzibar?"


def _missing(at) -> str:
    return " ".join(m.value for m in at.sidebar.markdown)


def test_the_owners_view_lists_an_unanswered_question_after_it_is_asked(seed_index):
    at = _ask(_page(), UNANSWERED)
    assert any(w.value.startswith("**") for w in at.warning)  # no answer
    at.run()
    assert escape(UNANSWERED) in _missing(at)
    assert any(h.value == "Unanswered questions" for h in at.sidebar.subheader)
    assert any(b.key == "export-missing" for b in at.sidebar.get("download_button"))


def test_a_visitor_does_not_see_the_owners_view_when_a_password_is_set(seed_index, monkeypatch, no_delay):
    monkeypatch.setenv("QA_ADMIN_PASSWORD", PASSWORD)
    at = _ask(_page(), UNANSWERED)
    at.run()
    assert escape(UNANSWERED) not in _missing(at)
    assert not any(h.value == "Unanswered questions" for h in at.sidebar.subheader)
    at.text_input(key="owner-password").input(PASSWORD)
    next(b for b in at.button if b.label == "Sign in").click()
    at.run()
    assert escape(UNANSWERED) in _missing(at)
