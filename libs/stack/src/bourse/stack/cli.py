"""The local stack: the one table of Bourse's processes, and the helpers up.sh / down.sh use.

    uv run python scripts/stack.py list [--migrations | --databases]
    uv run python scripts/stack.py render [--exclude NAME ...]
    uv run python scripts/stack.py ports          # are our ports free? (before starting)
    uv run python scripts/stack.py running        # exit 0 when our supervisord answers
    uv run python scripts/stack.py wait [--timeout 120]
    uv run python scripts/stack.py check          # exit 0 when everything is ready now
    uv run python scripts/stack.py urls
    uv run python scripts/stack.py journals [--adopt]  # do var/exchange and the DBs match?
    uv run python scripts/stack.py reset          # drop the instance's DBs, queues, journals

(``python -m bourse.stack`` is the same.) Generated files go under ``var/`` (git-ignored).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from bourse.stack.instance import GATEWAY_PORT, NGINX_CONF, ROOT, SUPERVISOR_CONF, VAR
from bourse.stack.journals import check_journals
from bourse.stack.probes import check, listener, port_in_use, process_states, wait
from bourse.stack.render import render
from bourse.stack.reset import ensure_vhost, reset
from bourse.stack.rollout import rollout, urls
from bourse.stack.services import BY_NAME, SERVICES, has_migrations


def _names(values: Sequence[str]) -> set[str]:
    names = {n for v in values for n in re.split(r"[\s,]+", v) if n}
    unknown = names - set(BY_NAME)
    if unknown:
        raise SystemExit(f"stack: unknown service(s): {', '.join(sorted(unknown))}")
    return names


def _parser() -> argparse.ArgumentParser:
    assert __doc__ is not None
    parser = argparse.ArgumentParser(prog="scripts/stack.py", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_list = sub.add_parser("list", help="every service of the table (one name a line)")
    what = p_list.add_mutually_exclusive_group()
    what.add_argument("--migrations", action="store_true", help="modules with migrations")
    what.add_argument("--databases", action="store_true", help="their database names")
    p_render = sub.add_parser("render", help="write var/nginx and var/supervisor configs")
    p_render.add_argument("--exclude", nargs="*", default=[], help="services not to run")
    sub.add_parser("ports", help="exit 1 (naming the process) when a port of the stack is taken")
    sub.add_parser("running", help="exit 0 when our supervisord answers")
    p_wait = sub.add_parser("wait", help="wait until every program is ready")
    p_wait.add_argument("--timeout", type=float, default=120.0)
    sub.add_parser("check", help="exit 0 when everything is ready right now")
    sub.add_parser("urls", help="where the running stack answers")
    p_rollout = sub.add_parser("rollout", help="zero-downtime rolling restart, one at a time")
    p_rollout.add_argument("--timeout", type=float, default=120.0)
    sub.add_parser("var", help="this instance's directory of generated files and logs")
    sub.add_parser("vhost", help="create this instance's RabbitMQ vhost when absent")
    p_journals = sub.add_parser(
        "journals", help="exit 1 when var/exchange's journals and the databases do not match"
    )
    p_journals.add_argument(
        "--adopt", action="store_true", help="on a mismatch: start from an empty journal"
    )
    sub.add_parser("reset", help="drop the instance's databases, queues' messages, journals")
    p_exec = sub.add_parser("exec", help="run python -m bourse.<module> ARGS as NAME would")
    p_exec.add_argument("name", choices=sorted(BY_NAME))
    p_exec.add_argument("args", nargs=argparse.REMAINDER)
    return parser


def _list(args: argparse.Namespace) -> int:
    if args.migrations:  # the first replica migrates and declares for all
        lines = [s.name for s in SERVICES if s.first and has_migrations(s)]
    elif args.databases:
        lines = [s.database for s in SERVICES if s.database and s.first]
    else:
        lines = [s.name for s in SERVICES]
    print("\n".join(lines))
    return 0


def _render(args: argparse.Namespace) -> int:
    excluded = _names(args.exclude)
    services = [s for s in SERVICES if s.name not in excluded]
    render(services)
    written = (p.relative_to(ROOT) for p in (NGINX_CONF, SUPERVISOR_CONF))
    print(f"stack: rendered {', '.join(map(str, written))}")
    print(f"stack: programs: {', '.join(s.name for s in services)}, nginx")
    if excluded:
        print(f"stack: excluded: {', '.join(sorted(excluded))}")
    return 0


def _ports(args: argparse.Namespace) -> int:
    ports = [(s.name, s.port) for s in SERVICES] + [("nginx", GATEWAY_PORT)]
    taken = [(name, port) for name, port in ports if port_in_use(port)]
    for name, port in taken:
        print(f"stack: port {port} ({name}) is in use by {listener(port)}", file=sys.stderr)
    return 1 if taken else 0


def _printed(text: object) -> int:
    print(text)
    return 0


def _vhost(args: argparse.Namespace) -> int:
    ensure_vhost()
    return 0


def _exec(args: argparse.Namespace) -> int:
    service = BY_NAME[args.name]
    python = str(Path(sys.prefix) / "bin" / "python")
    env = {**os.environ, **service.environment()}
    os.execve(python, [python, "-m", f"bourse.{service.module}", *args.args], env)


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "list": _list,
    "render": _render,
    "ports": _ports,
    "running": lambda _: 0 if process_states() is not None else 1,
    "wait": lambda args: wait(args.timeout),
    "check": lambda _: 0 if check() else 1,
    "urls": lambda _: _printed(urls()),
    "rollout": lambda args: rollout(args.timeout),
    "var": lambda _: _printed(VAR),
    "vhost": _vhost,
    "journals": lambda args: check_journals(args.adopt),
    "reset": lambda _: reset(),
    "exec": _exec,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return COMMANDS[args.command](args)
