"""`moldx-cds call` and `moldx-cds keys ...`: the CDS client side, for an LIS or EHR (and for
trying a service by hand): make a signing key, call a service about orders on a FHIR server,
apply what it answers and write the orders back."""

from __future__ import annotations

import argparse
import dataclasses
import http.server
import json
import os
import sys
from pathlib import Path
from typing import Any

from cds_hooks.cli.files import input_file
from cds_hooks.client.actions import ActionError, AppliedAction
from cds_hooks.client.cds_client import (
    CdsClient,
    ClientError,
    RoundTrip,
    Signer,
    masked,
    open_fhir_server,
    round_trip,
)
from cds_hooks.client.keys import (
    DEMO_ISSUER,
    DEMO_KEY_FILE,
    DEMO_KID,
    ClientKey,
    KeyFileError,
    write_key_files,
)

TOKEN_VARIABLE = "MOLDX_CDS_FHIR_TOKEN"
OK, FAILED, USAGE = 0, 1, 2


def add_client_commands(commands: argparse._SubParsersAction) -> None:
    _add_call(commands)
    _add_keys(commands)


# -- call ----------------------------------------------------------------------------------

def _add_call(commands: argparse._SubParsersAction) -> None:
    call = commands.add_parser(
        "call", help="call a CDS service about orders on a FHIR server, and apply its actions",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Read the patient and the orders from the FHIR server and send the "
        "service's hook\nrequest about them, signed with your client key. No prefetch is sent "
        "(unless --prefetch):\nthe request names fhirServer and fhirAuthorization, and the "
        "service reads what it needs.\nPrint the cards and system actions; apply the system "
        "actions, then the suggestions you\n--accept (in each set deletes, then creates, then "
        "updates). With --apply, write the\nchanged orders back (PUT, only if unchanged since "
        "they were read).",
        epilog=f"The FHIR server's bearer token is read from ${TOKEN_VARIABLE} or "
        "--fhir-token-file,\nnever from the command line, where other users could see it; "
        "without one the server is\ncalled without a token.\n\n"
        "Exit status: 0 done, 1 the service, the FHIR server or an action failed, 2 bad "
        "arguments\nor key.\n\n"
        "Example:\n  MOLDX_CDS_FHIR_TOKEN=... moldx-cds call \\\n"
        "    --service http://127.0.0.1:8080/cds-services/moldx-order-sign \\\n"
        "    --fhir-server http://127.0.0.1:8103/fhir/R4 --patient pat-1 \\\n"
        "    --order ServiceRequest/sr-1 --key client-keys/private-key-es384.pem \\\n"
        "    --issuer https://lis.example.org --apply")
    call.add_argument("--service", required=True, metavar="URL",
                      help="the service's URL, e.g. "
                      "http://127.0.0.1:8080/cds-services/moldx-order-sign (its hook and "
                      "prefetch come from the discovery endpoint beside it)")
    call.add_argument("--fhir-server", required=True, metavar="URL",
                      help="FHIR R4 base URL the orders are read from and written to")
    call.add_argument("--patient", required=True, metavar="ID", help="the Patient's id")
    call.add_argument("--order", action="append", required=True, metavar="ServiceRequest/ID",
                      help="an order of that patient (repeat for several)")
    call.add_argument("--apply", action="store_true",
                      help="write the orders the actions changed back to the FHIR server")
    call.add_argument("--accept", action="append", default=[], metavar="UUID",
                      help="also apply this suggestion (its uuid as printed; repeat for "
                      "several); give the same --hook-instance as the call that printed it")
    call.add_argument("--hook-instance", metavar="UUID",
                      help="the request's hookInstance (default: a new one); this service "
                      "derives card and suggestion uuids from it")
    call.add_argument("--prefetch", action="store_true",
                      help="read the service's prefetch templates from the FHIR server and send "
                      "them (default: send none; the service reads them itself)")
    call.add_argument("--fhir-token-file", type=input_file, metavar="FILE",
                      help=f"file holding the FHIR server's bearer token (default: "
                      f"${TOKEN_VARIABLE})")
    call.add_argument("--key", type=input_file, metavar="PEM",
                      help="your client's private key (from `moldx-cds keys new`); default: the "
                      "public demo key, which only a demo service trusts")
    call.add_argument("--issuer", metavar="ISS", help="your client's issuer (iss), as the "
                      "service trusts it; required with --key")
    call.add_argument("--kid", help="the key's kid (default: its RFC 7638 thumbprint, as "
                      "`keys new` writes it in the JWK Set)")
    call.add_argument("--jku", metavar="URL", help="put this JWK Set URL in the token header")
    call.add_argument("--user", metavar="Practitioner/ID",
                      help="context.userId (default: the first order's requester)")
    call.add_argument("--performer", metavar="Organization/ID",
                      help="context.performer, for an order-dispatch service")
    call.add_argument("--json", action="store_true",
                      help="print the request (token masked), response, applied actions and "
                      "writes as one JSON object")
    call.add_argument("--show-request", action="store_true",
                      help="print the hook request (token masked) before the cards")
    call.set_defaults(run=_call)


def _call(args: argparse.Namespace) -> int:
    try:
        service = CdsClient(args.service, _signer(args))
        token = _fhir_token(args)
    except (KeyFileError, ClientError) as bad:
        print(f"moldx-cds call: {bad}", file=sys.stderr)
        return USAGE
    fhir = open_fhir_server(args.fhir_server, token)
    try:
        done = round_trip(service, fhir, args.patient, args.order, token=token,
                          prefetch=args.prefetch, accepted=args.accept, apply=args.apply,
                          user=args.user, performer=args.performer,
                          hook_instance=args.hook_instance)
    except (ClientError, ActionError) as bad:
        print(f"moldx-cds call: {bad}", file=sys.stderr)
        return FAILED
    finally:
        service.close()
        fhir.close()
    if args.json:
        print(json.dumps(_as_json(done), indent=2))
    else:
        if args.show_request:
            print(json.dumps(masked(done.request), indent=2))
        print(_report(done, args))
    if done.feedback_error:
        print(f"moldx-cds call: the accepted suggestions were applied, but the feedback "
              f"about them was not taken: {done.feedback_error}", file=sys.stderr)
    return OK


def _signer(args: argparse.Namespace) -> Signer:
    if args.key is None:
        if args.issuer or args.kid:
            raise ClientError("--issuer and --kid go with --key")
        print("moldx-cds call: signing with the public demo key (test only; give --key and "
              "--issuer for a real client)", file=sys.stderr)
        return Signer(ClientKey.load(DEMO_KEY_FILE, DEMO_KID), DEMO_ISSUER, args.jku)
    if not args.issuer:
        raise ClientError("--key needs --issuer, the iss the service trusts it under")
    return Signer(ClientKey.load(args.key, args.kid), args.issuer, args.jku)


def _fhir_token(args: argparse.Namespace) -> str | None:
    if args.fhir_token_file:
        try:
            token = args.fhir_token_file.read_text().strip()
        except OSError as bad:
            raise ClientError(f"cannot read {args.fhir_token_file}: {bad.strerror}") from None
        if not token:
            raise ClientError(f"{args.fhir_token_file} is empty")
        return token
    return os.environ.get(TOKEN_VARIABLE, "").strip() or None


def _as_json(done: RoundTrip) -> dict[str, Any]:
    return {"request": masked(done.request), "response": done.response,
            "applied": [dataclasses.asdict(a) for a in done.applied.actions],
            "writes": [str(w) for w in done.writes], "written": done.written}


def _report(done: RoundTrip, args: argparse.Namespace) -> str:
    response, applied = done.response, done.applied
    lines = [f"{done.request['hook']} {args.service}",
             f"hookInstance {done.request['hookInstance']}", ""]
    cards = response["cards"]
    lines.append(f"{_count(len(cards), 'card')}{':' if cards else ''}")
    for card in cards:
        about = [r.get("reference") for r in (card.get("extension") or {}).get(
            "davinci-crd.associated-resource", []) if isinstance(r, dict)]
        lines.append(f"  [{card.get('indicator')}] {card.get('summary')}")
        lines.append(f"      card {card.get('uuid', '(no uuid)')}"
                     f"{' about ' + ', '.join(about) if about else ''}")
        for suggestion in card.get("suggestions") or []:
            mark = " (recommended)" if suggestion.get("isRecommended") else ""
            lines.append(f"      suggestion {suggestion.get('uuid', '(no uuid)')}{mark}: "
                         f"{suggestion.get('label')}")
    system = [a for a in applied.actions if a.origin == "system action"]
    lines += ["", f"{_count(len(system), 'system action')}{':' if system else ''}"]
    lines += [line for a in system for line in _action_lines(a)]
    accepted = [a for a in applied.actions if a.origin != "system action"]
    if accepted:
        lines += ["", "Accepted suggestions, applied after them:"]
        lines += [line for a in accepted for line in _action_lines(a, a.origin + ": ")]
    lines.append("")
    if done.written:
        lines.append("Written to the FHIR server:")
        lines += [f"  {line}" for line in done.written]
    elif not done.writes:
        lines.append("Nothing to write: the actions leave the orders as they are.")
    else:
        lines.append(f"Not written (add --apply to write them): "
                     f"{', '.join(map(str, done.writes))}")
    return "\n".join(lines)


def _action_lines(action: AppliedAction, prefix: str = "") -> list[str]:
    return [f"  {prefix}{action.type} {action.target}",
            *([f"      {action.description}"] if action.description else [])]


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


# -- keys ----------------------------------------------------------------------------------

def _add_keys(commands: argparse._SubParsersAction) -> None:
    keys = commands.add_parser(
        "keys", help="make a CDS client's signing key and JWK Set",
        description="Signing keys for a CDS client (the JWT CDS Hooks 2.0 requires on every "
        "call), and the trusted-issuers file that makes this service accept them.")
    actions = keys.add_subparsers(dest="keys_command", metavar="ACTION", required=True)
    new = actions.add_parser(
        "new", help="make a key pair, its JWK Set and the service's trusted-issuers file",
        description="Make an ES384 (P-384) key pair (and with --rsa an RS384 one); write the "
        "private key (PEM, readable by you only), the public JWK Set (kid = RFC 7638 "
        "thumbprint, alg, use sig) and a MOLDX_CDS_TRUSTED_ISSUERS file for the service.")
    new.add_argument("--issuer", required=True, metavar="ISS",
                     help="your client's issuer URI, the iss of its tokens, e.g. "
                     "https://lis.example.org")
    new.add_argument("--out", type=Path, default=Path("client-keys"), metavar="DIR",
                     help="folder to write to (default %(default)s)")
    new.add_argument("--rsa", action="store_true", help="also make an RS384 (3072-bit) key")
    new.add_argument("--jwks-url", metavar="URL",
                     help="where you will serve the JWK Set; the issuers file then names this "
                     "URL instead of the file")
    new.add_argument("--fhir-server", action="append", default=[], metavar="URL",
                     help="a FHIR base URL this client's calls may name as fhirServer (again "
                     "for more); the service reads no other")
    new.add_argument("--force", action="store_true", help="replace files already there")
    new.set_defaults(run=_keys_new)

    serve = actions.add_parser(
        "serve", help="serve a JWK Set over HTTP (for trying jwks_url)",
        description="Serve a JWK Set file at http://HOST:PORT/.well-known/jwks.json until "
        "interrupted. For trials: in production, publish it from your own web server over "
        "HTTPS.")
    serve.add_argument("--jwks", type=input_file, default=Path("client-keys/jwks.json"),
                       metavar="FILE", help="the JWK Set file (default %(default)s)")
    serve.add_argument("--host", default="127.0.0.1", help="address (default %(default)s)")
    serve.add_argument("--port", type=int, default=8090, help="port (default %(default)s)")
    serve.set_defaults(run=_keys_serve)


def _keys_new(args: argparse.Namespace) -> int:
    algorithms = ["ES384", "RS384"] if args.rsa else ["ES384"]
    keys = [ClientKey.generate(alg) for alg in algorithms]
    try:
        files = write_key_files(args.out, args.issuer, keys, jwks_url=args.jwks_url,
                                fhir_servers=tuple(args.fhir_server), force=args.force)
    except (KeyFileError, OSError) as bad:
        print(f"moldx-cds keys new: {bad}", file=sys.stderr)
        return USAGE
    for key in keys:
        print(f"wrote {files.private_keys[key.alg]} ({key.alg} private key, kid {key.kid}; "
              "readable by you only: keep it secret)")
    print(f"wrote {files.jwks} (the public keys)")
    print(f"wrote {files.issuers} (what the service trusts)")
    print("\nMake the service trust this client:")
    print(f"  MOLDX_CDS_TRUSTED_ISSUERS={files.issuers.resolve()} moldx-cds serve")
    print("or add this issuer to the service's trusted-issuers file:")
    entry = json.loads(files.issuers.read_text())["issuers"][0]
    if "jwks_file" in entry:
        entry["jwks_file"] = str(files.jwks.resolve())
    print(f"  {json.dumps(entry)}")
    print("\nSign calls with:")
    print(f"  moldx-cds call --key {files.private_keys['ES384']} --issuer {args.issuer} ...")
    return OK


def _keys_serve(args: argparse.Namespace) -> int:
    try:
        body = json.dumps(json.loads(args.jwks.read_text())).encode()
    except (OSError, ValueError) as bad:
        print(f"moldx-cds keys serve: cannot read {args.jwks}: {bad}", file=sys.stderr)
        return USAGE

    class JwksHandler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
            found = self.path.split("?")[0] == "/.well-known/jwks.json"
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body if found else b'{"error": "not found"}')

    try:
        server = http.server.ThreadingHTTPServer((args.host, args.port), JwksHandler)
    except OSError as bad:
        print(f"moldx-cds keys serve: cannot listen on {args.host}:{args.port}: "
              f"{bad.strerror}", file=sys.stderr)
        return FAILED
    print(f"moldx-cds: JWK Set at http://{args.host}:{server.server_port}/.well-known/jwks.json",
          file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return OK
