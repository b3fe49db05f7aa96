"""systemd units for one installation, rendered from the templates in ``deploy/`` (``yakusho deploy-units``).

The templates are plain unit files with ``@{name}`` placeholders (``$`` and ``%`` keep their meaning
for systemd and nginx). This module renders the web server (``yakusho.service``), a worker for each
scheduled command that has ``worker_args`` (``yakusho-mail.service``), a oneshot service and a timer
for every scheduled command of :data:`yakusho.core.scheduling.schedule`, a ``yakusho.target`` that
groups them, and an nginx example. Every value put into a unit is checked first: systemd would read a
space, a ``%`` or a ``$`` in a path as something else, and a newline as a new setting.
"""

from __future__ import annotations

import grp
import ipaddress
import os
import pwd
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from string import Template

from django.conf import settings
from django.utils.translation import gettext as _

from yakusho.core.scheduling import ScheduledJob, schedule

#: the worker units of scheduled commands that also run as long-lived loops; others get a generic name
WORKER_UNITS = {"send-mail": "yakusho-mail"}

#: a daily (or rarer) command's timer fires within this many seconds after its time
DAILY_RANDOMIZED_DELAY = 300

#: what a path in a unit may hold: systemd splits on spaces, expands ``%`` and ``$``, and reads
#: quotes and backslashes; nginx reads ``;``, ``{``, ``}`` and ``#``
_SAFE_PATH = re.compile(r"^/[A-Za-z0-9._+/-]*$")
#: Debian's useradd (NAME_REGEX), which systemd's own rules also accept
_SAFE_NAME = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
_SAFE_HOST_NAME = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9-]{1,63}$"
)
#: an argument written as it is in ExecStart; anything else is quoted
_PLAIN_ARG = re.compile(r"^[A-Za-z0-9_./:=,+@-]+$")


class UnitError(ValueError):
    """A value that cannot go into a unit file; the message says which and why (in Japanese)."""


class UnitTemplate(Template):
    """``@{name}`` placeholders only: ``$MAINPID`` (systemd) and ``$host`` (nginx) stay as they are."""

    delimiter = "@"
    pattern = r"""
    @(?:
      (?P<escaped>@) |
      (?P<named>(?!)) |
      \{(?P<braced>[a-z_][a-z0-9_]*)\} |
      (?P<invalid>\{)
    )
    """  # type: ignore[assignment]


@dataclass(frozen=True)
class UnitOptions:
    path: Path
    user: str
    group: str
    env_file: Path
    var_dir: Path
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 3
    server_name: str = "yakusho.example.lg.jp"
    #: more directories the services may write to (besides ``var_dir``), e.g. a backup directory
    writable: tuple[Path, ...] = ()


@dataclass
class RenderedUnits:
    #: file name → content
    files: dict[str, str] = field(default_factory=dict)
    #: the units ``systemctl enable --now`` takes, the target first
    enable: list[str] = field(default_factory=list)
    #: timers rendered but not enabled, because a worker does their command's work
    alternatives: list[str] = field(default_factory=list)


def default_user() -> str:
    return pwd.getpwuid(os.geteuid()).pw_name


def default_group(user: str) -> str:
    """The user's primary group where the user exists here, else a group of the user's name."""
    try:
        return grp.getgrgid(pwd.getpwnam(user).pw_gid).gr_name
    except KeyError:
        return user


def check_path(value: str | Path, what: str) -> Path:
    text = str(value)
    if not text.startswith("/"):
        raise UnitError(
            _("%(what)sは / から始まる絶対パスで指定してください（%(value)r）。")
            % {"what": what, "value": text}
        )
    if not _SAFE_PATH.match(text) or "/../" in f"{text}/" or "/./" in f"{text}/":
        raise UnitError(
            _(
                "%(what)sに systemd が別の意味に読む文字があります（%(value)r）。"
                "英数字と . _ + - / だけの、.. を含まないパスにしてください。"
            )
            % {"what": what, "value": text}
        )
    return Path(text.rstrip("/") or "/")


def check_name(value: str, what: str) -> str:
    if not _SAFE_NAME.match(value):
        raise UnitError(
            _(
                "%(what)s（%(value)r）は使えません。英小文字・数字・_・- の 32 文字以内"
                "（先頭は英小文字か _）で指定してください。"
            )
            % {"what": what, "value": value}
        )
    return value


def check_host(value: str) -> str:
    try:
        address = ipaddress.ip_address(value.strip("[]"))
    except ValueError:
        if not _SAFE_HOST_NAME.match(value):
            raise UnitError(
                _("待ち受けるアドレス（%(value)r）は IP アドレスかホスト名で指定してください。")
                % {"value": value}
            ) from None
        return value
    return f"[{address}]" if address.version == 6 else str(address)


def check_server_name(value: str) -> str:
    if not _SAFE_HOST_NAME.match(value):
        raise UnitError(
            _("サーバー名（%(value)r）はホスト名で指定してください（例: yakusho.town.example.lg.jp）。")
            % {"value": value}
        )
    return value


def options(
    *,
    path: str | Path,
    user: str,
    group: str | None = None,
    env_file: str | Path = "/etc/yakusho.env",
    var_dir: str | Path | None = None,
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: int = 3,
    server_name: str = "yakusho.example.lg.jp",
    writable: tuple[str | Path, ...] = (),
) -> UnitOptions:
    """Checked options: :class:`UnitError` names the first value that cannot go into a unit."""
    root = check_path(path, _("インストール先"))
    user = check_name(user, _("ユーザー名"))
    if not 1024 <= port <= 65535:
        raise UnitError(
            _(
                "ポート番号（%(port)s）は 1024〜65535 で指定してください"
                "（80・443 はリバースプロキシが受けます）。"
            )
            % {"port": port}
        )
    if not 1 <= workers <= 64:
        raise UnitError(_("ワーカー数（%(workers)s）は 1〜64 で指定してください。") % {"workers": workers})
    return UnitOptions(
        path=root,
        user=user,
        group=check_name(group if group is not None else default_group(user), _("グループ名")),
        env_file=check_path(env_file, _("環境変数ファイル")),
        var_dir=check_path(var_dir if var_dir is not None else root / "var", _("var ディレクトリ")),
        host=check_host(host),
        port=port,
        workers=workers,
        server_name=check_server_name(server_name),
        writable=tuple(check_path(w, _("書き込みを許すディレクトリ")) for w in writable),
    )


def systemd_text(text: str) -> str:
    """Free text (a description) in a unit: one line, ``%`` not read as a specifier."""
    return " ".join(text.split()).replace("%", "%%")


def exec_args(args: tuple[str, ...]) -> str:
    """Arguments appended to an ExecStart line (with a leading space), quoted where needed."""
    out = []
    for arg in args:
        if "\n" in arg or "\x00" in arg:
            raise UnitError(_("引数に改行は使えません（%(value)r）。") % {"value": arg})
        if _PLAIN_ARG.match(arg):
            out.append(arg)
        else:
            out.append('"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return "".join(" " + a.replace("%", "%%").replace("$", "$$") for a in out)


def timespan(delta: timedelta) -> str:
    """A systemd time span (``26h``, ``20min``, ``90s``)."""
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def job_unit(job: ScheduledJob) -> str:
    return f"yakusho-{job.command}"


def worker_unit(job: ScheduledJob) -> str:
    return WORKER_UNITS.get(job.command, f"yakusho-{job.command}-worker")


def template_dir() -> Path:
    """``deploy/`` at the top of the repository (the package is installed in place: ``pip install -e``)."""
    return Path(settings.BASE_DIR) / "deploy"


def _template(name: str) -> UnitTemplate:
    path = template_dir() / name
    if not path.is_file():
        raise UnitError(
            _(
                "テンプレート %(path)s がありません。"
                "リポジトリに置いたままインストールしたもの（pip install -e）から実行してください。"
            )
            % {"path": path}
        )
    return UnitTemplate(path.read_text(encoding="utf-8"))


def render(opts: UnitOptions, jobs: list[ScheduledJob] | None = None) -> RenderedUnits:
    """Every unit of one installation, and the nginx example, as file name → content."""
    jobs = schedule.all() if jobs is None else jobs
    writable = " ".join(str(p) for p in dict.fromkeys([opts.var_dir, *opts.writable]))
    home_dirs = (Path("/home"), Path("/root"), Path("/run/user"))
    in_home = any(opts.path == h or h in opts.path.parents for h in home_dirs)
    common = {
        "path": str(opts.path),
        "user": opts.user,
        "group": opts.group,
        "env_file": str(opts.env_file),
        "var_dir": str(opts.var_dir),
        "writable": writable,
        # an installation under /home stays readable (its var directory writable); others cannot see /home
        "protect_home": "read-only" if in_home else "yes",
        "yakusho": str(opts.path / ".venv" / "bin" / "yakusho"),
        "host": opts.host,
        "port": str(opts.port),
        "workers": str(opts.workers),
        "server_name": opts.server_name,
    }
    result = RenderedUnits()
    result.files["yakusho.target"] = _template("yakusho.target.in").substitute(common)
    result.files["yakusho.service"] = _template("yakusho.service.in").substitute(common)
    result.enable += ["yakusho.target", "yakusho.service"]
    timers = []
    for job in jobs:
        unit = job_unit(job)
        values = {
            **common,
            "command": job.command,
            "unit": unit,
            "description": systemd_text(job.description),
            "on_calendar": systemd_text(job.on_calendar),
            "late_after": timespan(job.late_after),
            "timeout": timespan(job.late_after),
            "randomized_delay": f"{DAILY_RANDOMIZED_DELAY}s"
            if job.late_after >= timedelta(hours=12)
            else "0",
        }
        result.files[f"{unit}.service"] = _template("yakusho-job.service.in").substitute(
            values, args=exec_args(job.args)
        )
        result.files[f"{unit}.timer"] = _template("yakusho-job.timer.in").substitute(values)
        if job.worker_args is not None:
            worker = worker_unit(job)
            result.files[f"{worker}.service"] = _template("yakusho-worker.service.in").substitute(
                values, unit=f"{worker}.service", timer=f"{unit}.timer", args=exec_args(job.worker_args)
            )
            result.enable.append(f"{worker}.service")
            result.alternatives.append(f"{unit}.timer")
        else:
            timers.append(f"{unit}.timer")
    result.enable += timers
    result.files["nginx-yakusho.conf"] = _template("nginx-yakusho.conf.in").substitute(common)
    return result


def unit_files(rendered: RenderedUnits) -> list[str]:
    """The rendered files that go to /etc/systemd/system (not the nginx example)."""
    return [name for name in rendered.files if name.endswith((".service", ".timer", ".target"))]
