"""Issue 24, item 2: the owner is proven, not assumed. With no owner's password, the owner's actions
exist only for a request that reaches a loopback-only server as loopback (a loopback Host and
Origin, no proxy's headers); a page published under another name needs the password, and `qa ui`
says so when it starts."""

from __future__ import annotations

import os

import pytest
from pages import _ask, _page, _tab, _texts

import qa.serve.access as access
from qa.cli import main
from qa.serve.library import Library
from qa.serve.render import escape

pytestmark = pytest.mark.usefixtures("isolated_page")

MINE = "Where do I go to pay social security myself?"
THEIRS = "What do I need to bring to the street office to apply?"

LOCAL = {"Host": "127.0.0.1:8501", "Origin": "http://127.0.0.1:8501"}
# What a visitor's request looks like through a reverse proxy on this machine (forwarding to 127.0.0.1:8501):
THROUGH_PROXY = {
    "caddy": {
        "Host": "qa.example.org",
        "X-Forwarded-For": "203.0.113.9",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "qa.example.org",
        "Origin": "https://qa.example.org",
    },
    "nginx, Host kept": {"Host": "qa.example.org", "X-Real-IP": "203.0.113.9", "Origin": "https://qa.example.org"},
    # nginx's defaults: Host rewritten to the upstream's, no forwarding header; the browser's Origin passes
    "nginx, defaults": {"Host": "127.0.0.1:8501", "Origin": "https://qa.example.org"},
    "RFC 7239": {"Host": "localhost:8501", "Forwarded": "for=203.0.113.9;proto=https"},
    "Host rewritten, X-Forwarded-For": {"Host": "localhost", "X-Forwarded-For": "127.0.0.1"},
}


@pytest.mark.parametrize(
    "headers, local",
    [
        (LOCAL, True),
        ({"host": "localhost:8501"}, True),  # a client with no Origin (curl)
        ({"Host": "[::1]:8501", "Origin": "http://[::1]:8501"}, True),
        ({"Host": "localhost", "Origin": "http://localhost:8501"}, True),
        ({}, False),
        ({"Host": "qa.example.org"}, False),
        ({"Host": "192.0.2.7:8501"}, False),
        ({"Host": "127.0.0.1.attacker.example"}, False),
        ({"Host": "127.0.0.1:8501", "Origin": "null"}, False),
        ({"Host": "127.0.0.1:8501", "Origin": "http://attacker.example"}, False),
        ({"Host": "127.0.0.1:8501", "X-FORWARDED-FOR": ""}, False),  # present, even empty: relayed
        ({"Host": "127.0.0.1:8501", "Via": "1.1 proxy"}, False),
        *[(h, False) for h in THROUGH_PROXY.values()],
    ],
)
def test_request_is_local(headers, local):
    assert access.request_is_local(headers) is local


@pytest.mark.parametrize(
    "env, published",
    [
        ({"QA_UI_HOST": "127.0.0.1"}, False),
        ({"QA_UI_HOST": "::1"}, False),
        ({"QA_UI_HOST": "127.0.0.1", "QA_ALLOWED_HOSTS": "qa.example.org"}, True),
        ({"QA_UI_HOST": "0.0.0.0"}, True),
        ({"QA_UI_HOST": "192.0.2.7"}, True),
    ],
)
def test_published_servers_have_no_owner_without_a_password(monkeypatch, env, published):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(access, "bind_address", lambda: os.environ["QA_UI_HOST"])
    assert access.published() is published
    assert access.owner_without_password(LOCAL) is (not published)  # even for a request from this machine
    assert access.owner_without_password(THROUGH_PROXY["caddy"]) is False


# -- the page, as a visitor through a proxy sees it ------------------------------------------------------


@pytest.fixture
def seed_index(saved_corpus_index, monkeypatch):
    monkeypatch.setenv("QA_INDEX", str(saved_corpus_index))
    return saved_corpus_index


def _upload() -> None:
    """An uploaded document in the page's data folder (one a visitor could try to remove)."""
    Library().add_uploads([("leave.txt", b"Annual leave\n\nEvery employee has 25 days of annual leave.\n")])


def _as(monkeypatch, headers):
    """Every page session from now on arrives with these request headers (AppTest sends none)."""
    monkeypatch.setattr("qa.serve.page.request_headers", lambda: dict(headers))


def _owner_things(at) -> dict:
    sidebar = " ".join(m.value for m in at.sidebar.markdown) + " ".join(c.value for c in at.sidebar.caption)
    return {
        "upload": bool(at.file_uploader),
        "add": any(b.key == "add" for b in at.button),
        "remove": any("remove" in (b.key or "") for b in at.button),
        "export": bool(at.sidebar.get("download_button")),
        "paths": "Page data" in sidebar or "feedback.sqlite" in sidebar,
        "everyone": any(e.label == "Everyone's recent questions" for e in at.sidebar.expander),
        "unanswered": any(h.value == "Unanswered questions" for h in at.sidebar.subheader),
    }


NOTHING = dict.fromkeys(("upload", "add", "remove", "export", "paths", "everyone", "unanswered"), False)


@pytest.mark.parametrize("proxy", sorted(THROUGH_PROXY))
@pytest.mark.parametrize("allowed", ["qa.example.org", ""])
def test_an_anonymous_visitor_through_a_proxy_gets_no_owners_action(seed_index, monkeypatch, proxy, allowed):
    if allowed:
        monkeypatch.setenv("QA_ALLOWED_HOSTS", allowed)  # qa ui --allowed-host qa.example.org
    _as(monkeypatch, LOCAL)
    owner = _ask(_page(), THEIRS)  # someone asks (the owner at the machine, when the page is not published)
    assert not owner.exception
    _upload()
    _as(monkeypatch, THROUGH_PROXY[proxy])
    visitor = _ask(_page(), MINE)
    visitor.run()
    assert not visitor.exception and not visitor.error
    assert _owner_things(visitor) == NOTHING  # no export, no everyone's questions, no paths
    shown = " ".join(_texts(visitor))
    assert escape(THEIRS) not in shown and THEIRS not in shown
    docs = _tab(visitor, "Documents")
    assert _owner_things(docs) == NOTHING  # uploads nothing, removes nothing
    assert any("no owner's password" in c.value for c in docs.sidebar.caption)


def test_a_request_from_this_machine_is_the_owner_of_a_loopback_page(seed_index, monkeypatch):
    _as(monkeypatch, LOCAL)
    _ask(_page(), THEIRS)
    _upload()
    at = _tab(_page(), "Documents")
    assert _owner_things(at) == {**dict.fromkeys(NOTHING, True), "unanswered": True}


def test_a_published_page_needs_the_password_even_from_this_machine(seed_index, monkeypatch):
    monkeypatch.setenv("QA_ALLOWED_HOSTS", "qa.example.org")
    _as(monkeypatch, LOCAL)
    assert _owner_things(_tab(_page(), "Documents")) == NOTHING
    monkeypatch.setenv("QA_ADMIN_PASSWORD", "correct horse battery staple")
    monkeypatch.setattr("qa.serve.page.WRONG_PASSWORD_DELAY", 0)
    _as(monkeypatch, THROUGH_PROXY["caddy"])
    at = _tab(_page(), "Documents")
    at.text_input(key="owner-password").input("correct horse battery staple")
    next(b for b in at.sidebar.button if b.label == "Sign in").click()
    at.run()
    assert _owner_things(at)["upload"] and _owner_things(at)["export"]  # the password proves the owner


# -- what qa ui says when it starts -----------------------------------------------------------------------


@pytest.fixture
def fake_start(monkeypatch):
    started = {}
    for name in ("QA_INDEX", "QA_DATA", "QA_UI_HOST", "QA_ALLOWED_HOSTS", "QA_ADMIN_PASSWORD_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr("qa.serve.launch.check_port_free", lambda host, port: None)

    def fake_exec(path, argv):
        started.update(argv=argv, env=dict(os.environ))
        raise SystemExit(0)

    monkeypatch.setattr("os.execv", fake_exec)
    return started


def test_qa_ui_under_another_name_says_the_owner_needs_the_password(fake_start, saved_corpus_index, tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(
            [
                "ui",
                "--index",
                str(saved_corpus_index),
                "--data",
                str(tmp_path / "d"),
                "--allowed-host",
                "qa.example.org",
            ]
        )
    err = capsys.readouterr().err
    assert "qa: warning: serving as qa.example.org without an owner's password" in err
    assert "QA_ADMIN_PASSWORD or --admin-password-file" in err and "localhost too" in err
    (tmp_path / "pw").write_text("secret\n")
    with pytest.raises(SystemExit):
        main(
            [
                "ui",
                "--index",
                str(saved_corpus_index),
                "--data",
                str(tmp_path / "d"),
                "--allowed-host",
                "qa.example.org",
                "--admin-password-file",
                str(tmp_path / "pw"),
            ]
        )
    assert "warning" not in capsys.readouterr().err
