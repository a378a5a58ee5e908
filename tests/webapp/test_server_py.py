"""`python server.py`: --help, a first start that prints the password once (only once the
server answers), a later start that does not, a first start that cannot start and so keeps no
password, a clean stop on SIGTERM, and a bad store refused with a sentence."""
import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def start(env, *flags, host="127.0.0.1"):
    proc = subprocess.Popen([sys.executable, "server.py", "--port", "0", *flags], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = proc.stdout.readline()
    if not first.startswith(f"Parley is at http://{host}:"):
        proc.kill()  # before reading its stderr to the end
        raise AssertionError(first + proc.stderr.read())
    url = first.split()[3].rstrip("/")
    return proc, url, proc.stdout.readline()


def test_help_exits_zero():
    shown = subprocess.run([sys.executable, "server.py", "--help"], cwd=REPO, capture_output=True,
                           text=True, timeout=60)
    assert shown.returncode == 0 and "--port" in shown.stdout and "--db" in shown.stdout


def test_first_start_prints_a_password_once_and_keeps_only_its_hash(store_url, tmp_path):
    config = tmp_path / "parley" / "webapp.json"
    env = first_start_env(store_url, config)
    proc, url, second_line = start(env)
    try:
        assert second_line.startswith("First start: the admin password is")
        password = second_line.split()[-1]
        with urllib.request.urlopen(url + "/healthz", timeout=10) as response:  # it answers already
            assert json.loads(response.read()) == {"ok": True}
        stored = json.loads(config.read_text())
        assert password not in config.read_text() and stored["admin_password_hash"].startswith(("scrypt:", "pbkdf2:"))
        assert oct(config.stat().st_mode & 0o777) == "0o600"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    proc, _, second_line = start(env)
    try:
        assert "password is" not in second_line and "Log in with the admin password" in second_line
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0


def test_host_and_db_choose_the_address_and_the_store(store_url, tmp_path):
    env = first_start_env("sqlite:///" + str(tmp_path / "not-this.db"), tmp_path / "webapp.json")
    proc, url, _ = start(env, "--host", "127.0.0.2", "--db", store_url, host="127.0.0.2")
    try:
        assert url.startswith("http://127.0.0.2:")
        with urllib.request.urlopen(url + "/healthz", timeout=10) as response:
            assert json.loads(response.read()) == {"ok": True}
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    assert not (tmp_path / "not-this.db").exists()  # --db won over PARLEY_DATABASE_URL


def first_start_env(store_url, config):
    env = {k: v for k, v in os.environ.items() if k != "PARLEY_ADMIN_PASSWORD"}
    env.update(PARLEY_DATABASE_URL=store_url, PARLEY_CONFIG=str(config))
    return env


def test_a_first_start_on_a_busy_port_exits_2_and_keeps_no_password(store_url, tmp_path):
    config = tmp_path / "parley" / "webapp.json"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = subprocess.run([sys.executable, "server.py", "--port", str(port)], cwd=REPO,
                              env=first_start_env(store_url, config), capture_output=True, text=True, timeout=60)
    assert busy.returncode == 2
    assert busy.stderr.strip().splitlines() == [f"server.py: cannot listen on 127.0.0.1:{port}: Address already in use"]
    assert "password" not in busy.stdout
    assert not config.exists()  # the next start makes a password and shows it


def test_a_first_start_that_cannot_keep_the_password_exits_2_without_showing_it(store_url, tmp_path):
    (tmp_path / "not_a_folder").write_text("")
    config = tmp_path / "not_a_folder" / "webapp.json"
    refused = subprocess.run([sys.executable, "server.py", "--port", "0"], cwd=REPO,
                             env=first_start_env(store_url, config), capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2
    assert refused.stderr.startswith(f"server.py: cannot write the config file {config}: ")
    assert len(refused.stderr.strip().splitlines()) == 1 and "password" not in refused.stdout


def test_a_bad_store_is_refused_with_one_sentence(tmp_path):
    env = {**os.environ, "PARLEY_CONFIG": str(tmp_path / "c.json"), "PARLEY_ADMIN_PASSWORD": "x"}
    bad = subprocess.run([sys.executable, "server.py", "--db", "sqlite://"], cwd=REPO, env=env,
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "in-memory" in bad.stderr and "Traceback" not in bad.stderr


def test_gunicorn_serves_create_app_as_documented(store_url, tmp_path):
    import socket
    import time

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "PARLEY_DATABASE_URL": store_url, "PARLEY_ADMIN_PASSWORD": "pw",
           "PARLEY_CONFIG": str(tmp_path / "c.json")}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen([str(gunicorn), "--threads", "8", "-b", f"127.0.0.1:{port}", "webapp:create_app()"],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                    assert json.loads(response.read()) == {"ok": True}
                    break
            except OSError:
                assert proc.poll() is None, proc.stderr.read()
                assert time.monotonic() < deadline, "gunicorn did not answer in 30 s"
                time.sleep(0.2)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5) as response:
            assert response.status == 200 and b"password" in response.read()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
