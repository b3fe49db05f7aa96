"""``yakusho deploy-units --output DIR``: this installation's systemd units and an nginx example.

Rendered from the templates in ``deploy/`` (:mod:`yakusho.core.deployunits`) with the install path,
the user and the server's address; prints each file and the commands that install them. See
docs/operations.md "Running as a service".
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from yakusho.core import deployunits
from yakusho.core.management.commands.serve import default_workers


def wrapped(command: str, words: list[str], width: int = 100) -> str:
    """A shell command over several lines (``\\`` at each end) that a person can copy."""
    lines, line = [], command
    for word in words:
        if len(line) + 1 + len(word) > width - 2:
            lines.append(line + " \\")
            line = "    " + word
        else:
            line += " " + word
    return "\n".join([*lines, line])


class Command(BaseCommand):
    help = (
        "Write this installation's systemd units (web server, mail worker, a timer for every scheduled "
        "command, yakusho.target) and an nginx example into a directory, and print how to install them."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", required=True, help="directory to write to (created if missing)")
        parser.add_argument(
            "--path", default=str(settings.BASE_DIR), help="install path, holding .venv; default: this one"
        )
        parser.add_argument("--user", default=None, help="user the services run as; default: the current one")
        parser.add_argument("--group", default=None, help="group; default: the user's primary group")
        parser.add_argument("--env-file", default="/etc/yakusho.env", help="the services' environment file")
        parser.add_argument(
            "--var-dir", default=None, help="the writable directory (YAKUSHO_VAR_DIR); default: PATH/var"
        )
        parser.add_argument(
            "--writable",
            action="append",
            default=[],
            metavar="DIR",
            help="another directory the services may write to (e.g. backups); repeatable",
        )
        parser.add_argument("--host", default="127.0.0.1", help="address the web server listens on")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=default_workers())
        parser.add_argument(
            "--server-name", default="yakusho.example.lg.jp", help="server_name of the nginx example"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            opts = deployunits.options(
                path=options["path"],
                user=options["user"] if options["user"] is not None else deployunits.default_user(),
                group=options["group"],
                env_file=options["env_file"],
                var_dir=options["var_dir"],
                host=options["host"],
                port=options["port"],
                workers=options["workers"],
                server_name=options["server_name"],
                writable=tuple(options["writable"]),
            )
            rendered = deployunits.render(opts)
        except deployunits.UnitError as exc:
            raise CommandError(str(exc)) from None

        output = Path(options["output"])
        if output.exists() and not output.is_dir():
            raise CommandError(_("%(path)s はディレクトリではありません。") % {"path": output})
        try:
            output.mkdir(parents=True, exist_ok=True)
            for name, content in rendered.files.items():
                (output / name).write_text(content, encoding="utf-8")
        except OSError as exc:
            raise CommandError(
                _("%(path)s に書き出せません: %(error)s") % {"path": output, "error": exc.strerror or exc}
            ) from None

        for name in rendered.files:
            self.stdout.write(str(output / name))
        self.stdout.write("")
        for warning in self._warnings(opts):
            self.stderr.write(self.style.WARNING(warning))
        out = shlex.quote(str(output.resolve()))
        self.stdout.write(_("インストール（root で）:"))
        self.stdout.write(f"  cd {out}")
        self.stdout.write(wrapped("  cp", [*deployunits.unit_files(rendered), "/etc/systemd/system/"]))
        self.stdout.write("  systemctl daemon-reload")
        self.stdout.write(wrapped("  systemctl enable --now", rendered.enable))
        if rendered.alternatives:
            self.stdout.write(
                _(
                    "（%(timers)s はワーカーの代わりに使うタイマーです。"
                    "ワーカーを動かすなら有効にしなくてかまいません。）"
                )
                % {"timers": ", ".join(rendered.alternatives)}
            )
        self.stdout.write(
            _("nginx の設定例: %(file)s（docs/operations.md「リバースプロキシ」）")
            % {"file": output / "nginx-yakusho.conf"}
        )

    def _warnings(self, opts: deployunits.UnitOptions) -> list[str]:
        warnings = []
        yakusho = opts.path / ".venv" / "bin" / "yakusho"
        if not yakusho.exists():
            warnings.append(
                _("%(path)s がありません。インストール先で make install を済ませてから有効にしてください。")
                % {"path": yakusho}
            )
        if not opts.var_dir.is_dir():
            warnings.append(
                _("%(path)s がありません。サービスは起動できません（yakusho upgrade が作ります）。")
                % {"path": opts.var_dir}
            )
        if opts.user == "root":
            warnings.append(
                _("root で動かすことになります。専用のユーザー（--user yakusho）をおすすめします。")
            )
        return warnings
