"""tenantctl mail: the outbox (list, show, send, retry), template preview and a test mail."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import typer

from tenantctl.cli import completion, options, output, runtime, state
from tenantctl.store.enums import Language, MailState
from tenantctl.store.errors import InvalidInput, PartialSuccess, Unreachable, UsageError

app = typer.Typer(help="Outgoing mail: the outbox, delivery, templates.", no_args_is_help=True)

LIST_COLUMNS = [("id", "id"), ("to", "to"), ("template", "template"), ("lang", "language"), ("state", "state"),
                ("attempts", "attempts"), ("next attempt", "next_attempt_at"), ("sent", "sent_at"),
                ("last error", "last_error")]
LISTING = output.Listing(tuple(LIST_COLUMNS), key="id",
                         wide=(("name", "to_name"), ("created", "created_at"), ("created by", "created_by")))
RATE = typer.Option(None, "--rate", metavar="N", help="Send at most N mails per second (default: setting mail_rate).")
NO_SEND = typer.Option(False, "--no-send", help="Only queue; deliver later with tenantctl mail send.")


def check_rate(rate: float | None) -> float | None:
    if rate is not None and not (0 < rate <= 10_000):
        raise UsageError(f"--rate must be a number of mails per second above 0 and at most 10000, not {rate:g}",
                         hint="e.g. --rate 5 (leave it out to send as fast as the server takes them)")
    return rate


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on stderr, only on a terminal and never with --json."""
    if state.JSON_MODE or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=output.stderr(), transient=True) as bar:
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def delivery(ctx: Any, progress: Any, rate: float | None = None) -> Any:
    """The command's one delivery hook (store.mail.delivery), with this face's progress bar and
    rate; its `summary` is there once the command committed and delivered."""
    from tenantctl.store.mail.delivery import delivery_for

    hook = delivery_for(ctx)
    hook.progress, hook.rate = progress, rate
    return hook


def report(summary: Any) -> int:
    """Status lines for a delivery (a Summary, or its as_dict() from a server); exit code 6 when
    some mails failed for good."""
    d = summary if isinstance(summary, dict) else summary.as_dict()
    parts = [f"{d['sent']} sent"]
    if d["retrying"]:
        parts.append(f"{d['retrying']} to retry from {str(d['next_attempt_at'])[:19].replace('T', ' ')} UTC")
    if d["obsolete"]:
        parts.append(f"{d['obsolete']} not sent (link no longer valid)")
    if d["failed"]:
        parts.append(f"{d['failed']} failed")
    output.status("mail: " + ", ".join(parts))
    for f in d["failures"]:
        output.warn(f"mail {f['id']} to {f['to']} failed: {f['reason']}")
    return PartialSuccess.exit_code if d["failed"] else 0


@app.command("list")
def list_(
    state_: MailState | None = typer.Option(None, "--state", help="queued, sending, sent or failed."),
    to: str | None = typer.Option(None, "--to", metavar="ADDRESS", help="Only mails to this address."),
    user: str | None = typer.Option(None, "--user", metavar="LOGIN", help="Only mails to this user.",
                                    autocompletion=completion.logins),
    limit: int = options.LIMIT,
    offset: int = options.OFFSET,
    fmt: str | None = options.OUTPUT,
    quiet: bool = options.QUIET,
    json: bool = options.JSON,
) -> None:
    """List the outbox, newest first: operators see all of it, admins the mails to the users they manage.

    Example: tenantctl mail list --user max.mueller --state failed
    """
    from tenantctl.cli.backend import call, svc

    query = {"state": state_.value if state_ else None, "to": to, "user": user}
    res = call("GET", "/mail",
               lambda ctx: svc.outbox.list_mails(ctx, **query, limit=options.limit_or_none(limit), offset=offset),
               query={**query, "limit": limit, "offset": offset})
    output.show_list(res, LISTING, fmt=fmt, quiet=quiet, json=json)


@app.command("show")
def show(mail_id: int = typer.Argument(..., metavar="ID", max=options.MAX_INT), json: bool = options.JSON) -> None:
    """Show one mail of the outbox: recipient, state, attempts, last error, template variables.

    Example: tenantctl mail show 42
    """
    from tenantctl.store.services import outbox

    with runtime.command(write=False) as ctx:
        data = outbox.mail_out(outbox.get_mail(ctx, mail_id), full=True)
    output.show(data, lambda c, d: c.print(output.record(d)), json_mode=json)


@app.command("send")
def send(rate: float | None = RATE, json: bool = options.JSON) -> int:
    """Deliver every due mail of the outbox (queued, or interrupted and past its lease).

    Exit code 6 when some mails failed for good, 7 when the server is unreachable (they stay queued).

    Example: tenantctl mail send --rate 10
    """
    from tenantctl.store.services import outbox

    check_rate(rate)
    with progress_bar("sending mail") as progress, runtime.command(write=False) as ctx:
        outbox.require_operator(ctx)
        hook = delivery(ctx, progress, rate)
        hook.everything = True
    summary = hook.summary
    code = report(summary)
    output.show(summary.as_dict(), lambda c, d: None, json_mode=json)
    return code


@app.command("retry")
def retry(
    mail_id: int | None = typer.Argument(None, metavar="[ID]", max=options.MAX_INT, help="The mail to send again."),
    failed: bool = typer.Option(False, "--failed", help="Every failed mail (with a fresh set of attempts)."),
    waiting: bool = typer.Option(False, "--waiting", help="Every queued mail waiting for its retry time."),
    no_send: bool = NO_SEND,
    rate: float | None = RATE,
    json: bool = options.JSON,
) -> int:
    """Requeue a failed (or waiting) mail, or all of them, and deliver them right away.

    Example: tenantctl mail retry --failed
    """
    from tenantctl.store.services import outbox

    check_rate(rate)
    if mail_id is not None and (failed or waiting):
        raise UsageError("give either a mail id or --failed/--waiting", hint="see tenantctl mail retry --help")
    hook = None
    with progress_bar("sending mail") as progress, runtime.command() as ctx:
        ids = outbox.retry(ctx, mail_id, failed=failed, waiting=waiting)
        if ids and not no_send:
            hook = delivery(ctx, progress, rate)
            hook.add(ids)
    summary = hook.summary if hook is not None else None
    output.status(f"requeued {len(ids)} mail(s)")
    code = report(summary) if summary is not None else 0
    data = {"requeued": ids, "delivery": summary.as_dict() if summary is not None else None}
    output.show(data, lambda c, d: None, json_mode=json)
    return code


@app.command("preview")
def preview(
    template: str = typer.Argument(..., help="Template name, e.g. password_link_initial."),
    lang: Language = typer.Option(Language.de, "--lang", help="Language."),
    json: bool = options.JSON,
) -> None:
    """Render a template with sample data: subject, plain text and HTML (overrides included).

    Example: tenantctl mail preview password_link_reset --lang en
    """
    from tenantctl.mail_templates import template_names
    from tenantctl.mail_templates.samples import sample
    from tenantctl.store.mail.delivery import render_mail

    runtime.refuse_remote()  # the templates and their overrides are the store machine's
    conf = runtime.operator_only("mail preview")
    if template not in template_names(conf.templates_dir):
        raise InvalidInput(f"no mail template named {template!r}",
                           hint="templates: " + ", ".join(template_names(conf.templates_dir)))
    subject, text, html = render_mail(conf, template, lang.value, sample(template))
    data = {"template": template, "language": lang.value, "subject": subject, "text": text, "html": html}

    def show_it(console: Any, d: dict[str, Any]) -> None:
        from rich.rule import Rule

        from tenantctl.cli.output import Text

        console.print(Text("Subject: " + d["subject"]))
        console.print(Rule("text"))
        console.print(Text(d["text"]))
        console.print(Rule("html"))
        console.print(Text(d["html"]))

    output.show(data, show_it, json_mode=json)


@app.command("test")
def test(to: str = typer.Option(..., "--to", metavar="ADDRESS", help="Recipient."),
         json: bool = options.JSON) -> None:
    """Send one test mail straight through the configured transport (not through the outbox).

    Example: tenantctl mail test --to ops@platform.example
    """
    from tenantctl.store import rules
    from tenantctl.store.mail import message
    from tenantctl.store.mail.delivery import render_mail
    from tenantctl.store.mail.retry import ConnectionFailure, DeliveryError
    from tenantctl.store.mail.transports import make_transport
    from tenantctl.store.types import utcnow

    runtime.refuse_remote()  # the transport and its settings are the store machine's
    conf = runtime.operator_only("mail test")
    address = rules.normalise_email(to)
    lang = conf.default_language if conf.default_language in {x.value for x in Language} else "de"
    subject, text, html = render_mail(conf, "test", lang, {"sent_at": utcnow().isoformat()})
    message_id, raw = message.build(conf, to_address=address, to_name=None, sender_name=conf.mail_from_name,
                                    subject=subject, text=text, html=html)
    transport = make_transport(conf)
    try:
        transport.send(conf.mail_from, address, raw, None)
    except ConnectionFailure as exc:
        raise Unreachable(f"test mail not sent: {exc.reason}",
                          hint="check mail_transport and the smtp_* settings (tenantctl config show)") from None
    except DeliveryError as exc:
        raise InvalidInput(f"test mail to {address} refused: {exc.reason}",
                           hint="check the address and the server's relay rules") from None
    finally:
        transport.close()
    output.status(f"test mail sent to {address} via {transport.describe()}")
    output.show({"to": address, "transport": transport.name, "message_id": message_id},
                lambda c, d: None, json_mode=json)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="mail")
