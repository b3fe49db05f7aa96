"""``yakusho deploy-units``: the rendered systemd units pass ``systemd-analyze verify``, and bad values
are refused before they reach a unit file.

Rendered with ``--path`` = this repository (so ``ExecStart``'s ``.venv/bin/yakusho`` exists, which
``verify`` checks) and ``--user root`` (a user every host has). In CI ``systemd-analyze`` must be there
(``make system-deps`` installs it); elsewhere the verification is skipped without it.
"""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from yakusho.core import deployunits
from yakusho.core.scheduling import schedule

pytestmark = pytest.mark.once

ROOT = Path(__file__).resolve().parents[2]
SYSTEMD_ANALYZE = shutil.which("systemd-analyze")


def needs_systemd_analyze() -> str:
    if SYSTEMD_ANALYZE:
        return SYSTEMD_ANALYZE
    if os.environ.get("CI") == "true":
        pytest.fail(
            "systemd-analyze is missing: CI must verify the units (make system-deps installs systemd)"
        )
    pytest.skip("systemd-analyze is not installed (package systemd)")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("units")
    stdout, stderr = StringIO(), StringIO()
    call_command(
        "deploy_units",
        "--output",
        str(out),
        "--path",
        str(ROOT),
        "--user",
        "root",
        "--workers",
        "3",
        stdout=stdout,
        stderr=stderr,
    )
    return out, stdout.getvalue()


def parse(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path, encoding="utf-8")
    return parser


def test_the_rendered_units_pass_systemd_analyze_verify(rendered: tuple[Path, str]) -> None:
    analyze = needs_systemd_analyze()
    out, _ = rendered
    units = sorted(p.name for p in out.iterdir() if p.suffix in {".service", ".timer", ".target"})
    done = subprocess.run(  # noqa: S603
        [analyze, "verify", *units], cwd=out, capture_output=True, text=True, timeout=60
    )
    # verify exits 0 on an unknown key or a value it ignores, and says so on stderr: none may name ours
    ours = [
        line
        for line in (done.stdout + done.stderr).splitlines()
        if str(out) in line or any(unit in line for unit in units)
    ]
    assert done.returncode == 0, done.stdout + done.stderr
    assert ours == []


def test_verify_would_catch_a_mistake(rendered: tuple[Path, str], tmp_path: Path) -> None:
    """The check above can fail: a misspelt setting and a missing program are reported."""
    analyze = needs_systemd_analyze()
    out, _ = rendered
    broken = (out / "yakusho.service").read_text().replace("NoNewPrivileges=yes", "NoNewPrivilege=yes")
    (tmp_path / "yakusho.service").write_text(broken.replace(str(ROOT), "/nonexistent"))
    done = subprocess.run(  # noqa: S603
        [analyze, "verify", "yakusho.service"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert "NoNewPrivilege" in done.stderr and "/nonexistent/.venv/bin/yakusho" in done.stderr
    assert done.returncode != 0


def test_every_scheduled_command_has_a_timer_on_its_calendar(rendered: tuple[Path, str]) -> None:
    out, _ = rendered
    jobs = schedule.all()
    assert len(jobs) >= 8
    for job in jobs:
        timer = parse(out / f"yakusho-{job.command}.timer")
        assert timer["Timer"]["OnCalendar"] == job.on_calendar, job.command
        assert timer["Timer"]["Persistent"] == "true"
        assert timer["Timer"]["Unit"] == f"yakusho-{job.command}.service"
        daily = job.late_after.total_seconds() >= 12 * 3600
        assert timer["Timer"]["RandomizedDelaySec"] == ("300s" if daily else "0"), job.command
        service = parse(out / f"yakusho-{job.command}.service")["Service"]
        assert service["Type"] == "oneshot"
        assert service["ExecStart"] == " ".join([f"{ROOT}/.venv/bin/yakusho", job.command, *job.args])
        assert service["User"] == "root" and service["WorkingDirectory"] == str(ROOT)


def test_systemd_accepts_every_calendar_expression() -> None:
    analyze = needs_systemd_analyze()
    expressions = sorted({job.on_calendar for job in schedule.all()})
    done = subprocess.run(  # noqa: S603
        [analyze, "calendar", *expressions], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("Next elapse:") == len(expressions)


def test_the_server_the_mail_worker_and_the_install_commands(rendered: tuple[Path, str]) -> None:
    out, printed = rendered
    server = parse(out / "yakusho.service")["Service"]
    assert server["ExecStart"] == f"{ROOT}/.venv/bin/yakusho serve --host 127.0.0.1 --port 8000 --workers 3"
    assert server["Restart"] == "on-failure"
    assert server["ProtectSystem"] == "strict" and server["ReadWritePaths"] == f"{ROOT}/var"
    assert server["NoNewPrivileges"] == "yes" and server["PrivateTmp"] == "yes"
    assert server["EnvironmentFile"] == "/etc/yakusho.env"
    send_mail = schedule.get("send-mail")
    assert send_mail.worker_args is not None
    worker = parse(out / "yakusho-mail.service")["Service"]
    assert worker["ExecStart"] == " ".join([f"{ROOT}/.venv/bin/yakusho", "send-mail", *send_mail.worker_args])
    assert worker["Restart"] == "always"
    nginx = (out / "nginx-yakusho.conf").read_text()
    assert "server 127.0.0.1:8000;" in nginx and f"alias {ROOT}/var/static/;" in nginx
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in nginx and "@{" not in nginx
    # the printed installation: every unit file copied, the server, the worker and the timers enabled
    enabled: list[str] = []
    for line in printed.split("systemctl enable --now", 1)[1].splitlines():
        enabled += line.replace("\\", " ").split()
        if not line.endswith("\\"):
            break
    assert enabled[:3] == ["yakusho.target", "yakusho.service", "yakusho-mail.service"]
    timers = {f"yakusho-{job.command}.timer" for job in schedule.all() if job.worker_args is None}
    assert set(enabled[3:]) == timers
    for name in out.iterdir():
        assert name.name in printed


def test_a_job_with_arguments_and_a_percent_sign_is_quoted_for_systemd(tmp_path: Path) -> None:
    opts = deployunits.options(path=ROOT, user="root")
    with schedule.isolated():
        schedule.register(
            "backup",
            on_calendar="*-*-* 02:00:00",
            late_after=timedelta(hours=26),
            description="毎晩のバックアップ（100% の確認）",
            args=("--keep", "14", "--label", "夜間 分"),
        )
        rendered = deployunits.render(opts)
    service = rendered.files["yakusho-backup.service"]
    assert f'ExecStart={ROOT}/.venv/bin/yakusho backup --keep 14 --label "夜間 分"\n' in service
    assert "Description=Yakusho: 毎晩のバックアップ（100%% の確認）\n" in service
    if SYSTEMD_ANALYZE:
        for name in ("yakusho-backup.service", "yakusho-backup.timer"):
            (tmp_path / name).write_text(rendered.files[name])
        done = subprocess.run(  # noqa: S603
            [SYSTEMD_ANALYZE, "verify", "yakusho-backup.timer", "yakusho-backup.service"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0 and "yakusho-backup" not in done.stderr, done.stderr


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--path", "srv/yakusho", "絶対パス"),
        ("--path", "/srv/yaku sho", "別の意味に読む文字"),
        ("--path", "/srv/yakusho%i", "別の意味に読む文字"),
        ("--path", "/srv/$HOME", "別の意味に読む文字"),
        ("--path", "/srv/../etc", "別の意味に読む文字"),
        ("--path", "/srv/yakusho\nExecStartPre=/bin/sh", "別の意味に読む文字"),
        ("--user", "yaku sho", "ユーザー名"),
        ("--user", "root\nUser=nobody", "ユーザー名"),
        ("--user", "Yakusho", "ユーザー名"),
        ("--group", "wheel;rm", "グループ名"),
        ("--env-file", "etc/yakusho.env", "絶対パス"),
        ("--writable", "/var/backups/yakusho backups", "別の意味に読む文字"),
        ("--host", "127.0.0.1; rm -rf /", "待ち受けるアドレス"),
        ("--port", "80", "1024〜65535"),
        ("--workers", "0", "1〜64"),
        ("--server-name", "town.example.jp;}", "サーバー名"),
    ],
)
def test_bad_values_are_refused_with_a_clear_message(
    tmp_path: Path, option: str, value: str, message: str
) -> None:
    args = ["--output", str(tmp_path / "out"), "--path", str(ROOT), "--user", "root", option, value]
    with pytest.raises(CommandError, match=message):
        call_command("deploy_units", *args, stdout=StringIO(), stderr=StringIO())
    assert not (tmp_path / "out").exists()


def test_an_output_that_is_a_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "units"
    target.write_text("not a directory")
    with pytest.raises(CommandError, match="ディレクトリではありません"):
        call_command("deploy_units", "--output", str(target), "--user", "root", stdout=StringIO())


def test_defaults_are_this_installation_and_the_current_user(tmp_path: Path) -> None:
    stdout, stderr = StringIO(), StringIO()
    call_command("deploy_units", "--output", str(tmp_path), stdout=stdout, stderr=stderr)
    server = parse(tmp_path / "yakusho.service")["Service"]
    assert server["WorkingDirectory"] == str(ROOT)
    assert server["User"] == deployunits.default_user()
    assert server["Group"] == deployunits.default_group(deployunits.default_user())
    # a home directory stays readable (its var directory writable) instead of hidden
    assert server["ProtectHome"] == ("read-only" if str(ROOT).startswith(("/home/", "/root/")) else "yes")


def _late(delta: timedelta) -> str:
    minutes = int(delta.total_seconds()) // 60
    return f"{minutes} min" if minutes < 60 else f"{minutes // 60} h"


def test_the_operations_guide_lists_every_scheduled_command() -> None:
    """docs/operations.md "Scheduled work" and its cron appendix follow the apps' schedule.py."""
    guide = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    table = guide.split("### Scheduled work", 1)[1].split("\n### ", 1)[0]
    rows = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 4 and cells[0].startswith("`"):
            rows[cells[0].strip("`")] = (cells[1].split("`")[1], cells[2])
    expected = {job.command: (job.on_calendar, _late(job.late_after)) for job in schedule.all()}
    assert rows == expected, "update the table in docs/operations.md 'Scheduled work'"
    cron = guide.split("### Hosts without systemd", 1)[1].split("\n## ", 1)[0]
    lines = {" ".join(("yakusho", job.command, *job.args)) for job in schedule.all()}
    missing = sorted(line for line in lines if f".venv/bin/{line}\n" not in cron)
    assert missing == [], "add them to the cron lines of docs/operations.md 'Hosts without systemd'"


@pytest.mark.skipif(not (shutil.which("nginx") and shutil.which("openssl")), reason="nginx is not installed")
def test_the_nginx_example_passes_nginx_t(rendered: tuple[Path, str], tmp_path: Path) -> None:
    """Where nginx is installed: the example, with a throwaway certificate, is a valid configuration."""
    out, _ = rendered
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    openssl = [shutil.which("openssl") or "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes"]
    subprocess.run(  # noqa: S603
        [
            *openssl,
            "-days",
            "1",
            "-subj",
            "/CN=yakusho.example.lg.jp",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    site = (out / "nginx-yakusho.conf").read_text()
    site = site.replace("/etc/ssl/certs/yakusho.example.lg.jp.pem", str(cert))
    site = site.replace("/etc/ssl/private/yakusho.example.lg.jp.key", str(key))
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  access_log off;\n  include {tmp_path}/site.conf;\n}}\n"
    )
    done = subprocess.run(  # noqa: S603
        [shutil.which("nginx") or "nginx", "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and "test is successful" in done.stderr, done.stderr
