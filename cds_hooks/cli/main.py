"""The `moldx-cds` command: serve the CDS Hooks service, check orders without HTTP, run it
(store migrations, knowledge reload, the feedback report), and, as a client
(client_commands.py), call a service and apply its actions."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from datetime import date
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from cds_hooks.cli.files import input_file
from cds_hooks.common.settings import Settings, SettingsError, data_dir, unknown_variables
from cds_hooks.service.errors import RequestError
from cds_hooks.service.models import HookRequest
from plugin import fhir
from plugin.codes import CodeSystems
from plugin.decision import Decision, decide
from plugin.knowledge import Knowledge, KnowledgeError, load_knowledge

from . import check_table
from .claim_commands import add_claim_commands
from .client_commands import add_client_commands
from .operations_commands import add_operations_commands
from .policy_commands import add_policy_commands


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    for line in unknown_variables():
        print(f"moldx-cds: {line}", file=sys.stderr)
    if not args.command:
        parser.print_help()
        return 2
    try:
        status = args.run(args)
        sys.stdout.flush()  # inside the try: a reader gone away is found here, not at exit
        return status
    except SettingsError as bad:
        print(f"moldx-cds: {bad}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader stopped early (`| head`): end as other Unix tools do. Python's own flush
        # at exit would fail again, so standard output goes nowhere from here (the Python
        # documentation's "Note on SIGPIPE").
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="moldx-cds",
        description="CDS Hooks service that puts the right CPT and DEX Z-code on molecular lab "
        "orders and flags the ones that will not be paid.",
        epilog="Settings come from MOLDX_CDS_* environment variables (see docs/settings.md).")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = commands.add_parser(
        "serve", help="run the CDS Hooks service",
        description="Run the CDS Hooks service: nginx on HOST:PORT, which reads each request "
        "whole, in front of gunicorn workers (or Flask's development server with --debug). "
        "Needs nginx (apt-get install nginx-light). Discovery is at "
        "http://HOST:PORT/cds-services.")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default %(default)s)")
    serve.add_argument("--port", type=int, default=8080, help="port (default %(default)s)")
    serve.add_argument("--workers", type=int, default=4,
                       help="gunicorn worker processes, one request at a time each "
                       "(default %(default)s)")
    _knowledge_option(serve)
    serve.add_argument("--debug", action="store_true",
                       help="use Flask's development server, with reloading and tracebacks")
    _pid_file_option(serve, "where to write the master's process id, for `moldx-cds reload`")
    serve.set_defaults(run=_serve)

    reload = commands.add_parser(
        "reload", help="make a running service load its knowledge again, without a restart",
        description="Send SIGHUP to the service started by `moldx-cds serve`, named by its pid "
        "file, and wait for its answer. The master loads the knowledge folder (and policy "
        "store) again, swaps it in at once and replaces its workers. Exit status 0: reloaded "
        "(the new version is printed); 1: the new knowledge does not load, its problems are "
        "printed (file, line, column) and the current knowledge keeps serving; 2: no service "
        "or no answer. /readyz shows the version serving and the last reload.")
    _pid_file_option(reload, "the pid file `moldx-cds serve` wrote")
    reload.add_argument("--timeout", type=float, default=120, metavar="SECONDS",
                        help="how long to wait for the answer (default %(default)g)")
    reload.set_defaults(run=_reload)
    add_operations_commands(commands)

    check = commands.add_parser(
        "check", help="check the orders in a JSON file and print the findings",
        description="Read a CDS Hooks request, a FHIR Bundle or a ServiceRequest (JSON) and print "
        "what the service would find, without HTTP: per order its payer, each finding with "
        "its fix and the reason in words. Exit status: 0 no warning and every check ran; 1 "
        "at least one warning, or checks skipped because an order's payer or coverage is "
        "not known; 2 the input or the knowledge could not be read.")
    check.add_argument("file", type=input_file, help="the JSON file ('-' for standard input)")
    check.add_argument("--json", action="store_true", help="print the findings as JSON")
    check.add_argument("--date", type=date.fromisoformat, metavar="YYYY-MM-DD",
                       help="date of service for orders that carry none (default: today)")
    check.add_argument("--issuer", metavar="ISS",
                       help="the client (its JWT's iss) the orders come from: its own rows of "
                       "the knowledge folder's aliases.csv apply (default: only the rows for "
                       "every client)")
    _knowledge_option(check)
    check.set_defaults(run=_check)
    add_claim_commands(commands, _knowledge_option, lambda args: _load(_settings(args)))

    add_policy_commands(commands)
    token = commands.add_parser(
        "token", help="print a client JWT for calling the service with curl",
        description="Print a client JWT for one call, signed with your key (--key, made by "
        "`moldx-cds keys new`, with --issuer) or else with the demo key that ships in this "
        "package, which a service trusts only with the demo settings (its private key is "
        "public: never trust it in production). A token serves one call (its jti may not be "
        "replayed) for five minutes.")
    token.add_argument("--aud", required=True, metavar="URL",
                       help="the exact URL to be called, e.g. "
                       "http://127.0.0.1:8080/cds-services/moldx-order-sign")
    token.add_argument("--key", type=input_file, metavar="FILE",
                       help="a PEM private key from `moldx-cds keys new` "
                       "(private-key-es384.pem or private-key-rs384.pem)")
    token.add_argument("--issuer", metavar="ISS",
                       help="the issuer the service trusts for that key (required with --key)")
    token.add_argument("--kid", help="the key id (default: the key's RFC 7638 thumbprint, "
                       "as `keys new` writes it in jwks.json)")
    token.set_defaults(run=_token)
    add_client_commands(commands)
    return parser


def _pid_file_option(command: argparse.ArgumentParser, text: str) -> None:
    command.add_argument("--pid-file", type=Path, metavar="FILE",
                         help=f"{text} (default: $MOLDX_CDS_PID_FILE, else serve.pid in the "
                         f"data folder, {data_dir()})")


def _knowledge_option(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--knowledge", type=Path, metavar="DIR",
        help="folder with lab.csv, catalog.csv and payers.csv (default: "
        "$MOLDX_CDS_KNOWLEDGE_DIR, else the embedded demo lab)")
    command.add_argument(
        "--policy-store", type=input_file, metavar="FILE",
        help="policy store written by `moldx-cds policy import` (default: "
        "$MOLDX_CDS_POLICY_STORE, else the default store if it exists, else the knowledge "
        "folder's mcd/ excerpt)")


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {"knowledge_dir": args.knowledge} if args.knowledge else {}
    if args.policy_store:
        overrides["policy_store"] = args.policy_store
    if getattr(args, "pid_file", None):
        overrides["pid_file"] = args.pid_file
    return Settings.from_env(**overrides)


def _load(settings: Settings) -> Knowledge | None:
    try:
        return load_knowledge(settings.knowledge_dir, settings.policy_store)
    except KnowledgeError as bad:
        print(f"moldx-cds: the knowledge in {settings.knowledge_dir} is not usable:",
              file=sys.stderr)
        for problem in bad.problems:
            print(f"  {problem}", file=sys.stderr)
        return None


def policy_line(knowledge: Knowledge) -> str:
    """Which coverage policy the service runs with, and what the catalog names that it lacks."""
    policy = knowledge.policy
    line = (f"moldx-cds: policy from {policy.source}: {len(policy)} versions of "
            f"{len(policy.versions)} articles; ICD-10-CM {knowledge.icd10.release}")
    if knowledge.missing_articles:
        line += (f"; NOT LOADED (diagnoses of their tests go unchecked): "
                 f"{', '.join(sorted(knowledge.missing_articles))}")
    return line


# -- serve -----------------------------------------------------------------------------------

def _serve(args: argparse.Namespace) -> int:
    from cds_hooks.store.db import check_driver

    settings = _settings(args).listening(args.host, args.port)
    check_driver(settings.store_url)
    if refusals := settings.refusals(args.host):
        for refusal in refusals:
            print(f"moldx-cds: not starting: {refusal}", file=sys.stderr)
        return 2
    from .busy import busy

    if why := busy(args.host, args.port, settings.pid_file):
        print(f"moldx-cds: not starting: {why}", file=sys.stderr)
        return 2
    if not args.debug:
        # Sets up multiprocess metrics, which must come before the app's modules are imported.
        from cds_hooks import gunicorn_conf  # noqa: F401
    from cds_hooks.common import logs
    from cds_hooks.service.app import create_app

    logs.configure(settings.log_format)
    knowledge = _load(settings)  # fail here, with the bad rows listed, not inside a worker
    if knowledge is None:
        return 2
    if settings.pid_file:  # by default in the user's data folder, which may not exist yet
        settings.pid_file.parent.mkdir(parents=True, exist_ok=True)
    app = create_app(settings, knowledge)  # logs the settings' warnings
    print(f"moldx-cds: {knowledge.lab.name}, {len(knowledge.catalog)} catalog rows, "
          f"knowledge {knowledge.version}; discovery at "
          f"http://{args.host}:{args.port}/cds-services", file=sys.stderr)
    print(policy_line(knowledge), file=sys.stderr)
    if args.debug:
        import os
        import signal

        from cds_hooks.service.app import reload_knowledge

        from .reloading import write_outcome

        # One process: SIGHUP reloads in place, like the gunicorn master does.
        signal.signal(signal.SIGHUP, lambda *_: write_outcome(settings.pid_file,
                                                              reload_knowledge(app)))
        if settings.pid_file:
            settings.pid_file.write_text(f"{os.getpid()}\n")
        app.run(host=args.host, port=args.port, debug=True, use_reloader=False)
        return 0
    from .front import FrontError
    from .server import run

    try:
        run(app, host=args.host, port=args.port, workers=args.workers,
            pid_file=settings.pid_file)
    except FrontError as bad:
        print(f"moldx-cds: not starting: {bad}", file=sys.stderr)
        return 2
    return 0


def _reload(args: argparse.Namespace) -> int:
    from .reloading import reload

    return reload(args.pid_file or Settings.from_env().pid_file, args.timeout)


# -- token -----------------------------------------------------------------------------------

def _token(args: argparse.Namespace) -> int:
    from cds_hooks.client.keys import ClientKey, KeyFileError, client_token, demo_token

    if not args.key:
        if args.issuer or args.kid:
            print("moldx-cds: --issuer and --kid go with --key", file=sys.stderr)
            return 2
        print(demo_token(args.aud))
        return 0
    if not args.issuer:
        print("moldx-cds: --key needs --issuer, the issuer the service trusts for that key",
              file=sys.stderr)
        return 2
    try:
        key = ClientKey.load(args.key, args.kid)
    except KeyFileError as bad:
        print(f"moldx-cds: {bad}", file=sys.stderr)
        return 2
    print(client_token(key, args.issuer, args.aud))
    return 0


# -- check -----------------------------------------------------------------------------------

def _check(args: argparse.Namespace) -> int:
    settings = _settings(args)
    knowledge = _load(settings)
    if knowledge is None:
        return 2
    try:
        orders, resources = _orders_in(_input(args.file))
    except OSError as bad:
        print(f"moldx-cds: cannot read {args.file}: {bad.strerror or bad}", file=sys.stderr)
        return 2
    except _NotAnInput as bad:
        print(f"moldx-cds: {args.file} {bad}; expected {EXPECTED_INPUT} (JSON)",
              file=sys.stderr)
        return 2
    except RequestError as bad:
        print(f"moldx-cds: {args.file} is not usable:", file=sys.stderr)
        for issue in bad.issues:
            print(f"  {issue.diagnostics}", file=sys.stderr)
        return 2
    systems = settings.code_systems(knowledge.lab)
    decision = decide(orders, resources, knowledge, systems, args.date or settings.today(),
                      issuer=args.issuer)
    print(json.dumps(_as_json(decision, knowledge, systems), indent=2, default=_plain)
          if args.json else check_table.table(decision, knowledge, systems))
    return check_table.exit_status(decision)


EXPECTED_INPUT = "a CDS Hooks request, a FHIR Bundle or a ServiceRequest"


class _NotAnInput(ValueError):
    """The file holds no JSON object; says what it holds instead."""


def _input(file: Path) -> dict[str, Any]:
    """The JSON object in `file` ('-': standard input), or _NotAnInput saying, in a few
    words, what was found instead (a decoder's message helps nobody here)."""
    data = sys.stdin.buffer.read() if str(file) == "-" else file.read_bytes()
    if not data.strip():
        raise _NotAnInput("is empty")
    try:
        value = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise _NotAnInput("is not text (a binary file?)") from None
    except ValueError:
        raise _NotAnInput("is not JSON") from None
    if not isinstance(value, dict):
        found = {list: "a JSON array", str: "a JSON string", bool: "true or false",
                 type(None): "null"}.get(type(value), "a JSON number")
        raise _NotAnInput(f"holds {found}, not an object")
    return value


def _orders_in(data: Any) -> tuple[list[fhir.ServiceRequest], list[fhir.Resource]]:
    """The orders and the other resources of a hook request, a Bundle or a ServiceRequest."""
    try:
        if isinstance(data, dict) and "hook" in data:
            request = HookRequest.model_validate(data)
            resources = request.resources()
            return request.orders(resources), resources
        resource = fhir.parse_resource(data)
    except ValidationError as bad:
        raise RequestError.from_validation(bad) from None
    resources = fhir.resources_in(resource)
    orders = [r for r in resources if isinstance(r, fhir.ServiceRequest)]
    if not orders:
        raise RequestError.invalid(None, "holds no ServiceRequest")
    return orders, resources


def _as_json(decision: Decision, knowledge: Knowledge, systems: CodeSystems) -> dict[str, Any]:
    words = check_table.summaries(decision, knowledge, systems)
    return {"knowledge": decision.knowledge_version,
            "orders": [{**dataclasses.asdict(f), "skipped": check_table.skipped(f)}
                       for f in decision.facts],
            "findings": [{**dataclasses.asdict(f), "summary": words.get((f.order, f.rule))}
                         for f in decision.findings]}


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


if __name__ == "__main__":
    sys.exit(main())
