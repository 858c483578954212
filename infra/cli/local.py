"""``sessionstream local ...``: run the real PostgreSQL and Kafka on this machine, without Docker."""

from __future__ import annotations

import shlex
from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from infra.local import LocalServiceError, services
from infra.settings import get_settings

app = typer.Typer(help="Local PostgreSQL and Kafka (data under .sessionstream/).", no_args_is_help=True)
_console = Console()
_errors = Console(stderr=True)

_ENV_OF = {"postgres": "DATABASE_URL", "kafka": "KAFKA_BOOTSTRAP_SERVERS"}


@app.command()
def up() -> None:
    """Start PostgreSQL and Kafka unless already running or given by the environment."""
    settings = get_settings()
    before = services.status(settings)
    try:
        with _console.status("Starting local services (the first run downloads the Kafka jars)..."):
            values = services.up(settings)
    except LocalServiceError as exc:
        _fail(exc)
    for name, var in _ENV_OF.items():
        if _given(name):  # not echoed: a DATABASE_URL may hold a password
            _console.print(f"{name:<9} [cyan]not started[/]  {var} is set in the environment")
            continue
        verb = "[yellow]already running[/]" if before[name]["running"] else "[green]started[/]"
        _console.print(f"{name:<9} {verb}  {var}={escape(values[var])}", soft_wrap=True)


@app.command()
def down() -> None:
    """Stop the local services; their data is kept for the next up."""
    try:
        services.down(get_settings())
    except LocalServiceError as exc:
        _fail(exc)
    _console.print("local services stopped")


@app.command()
def stop(name: str) -> None:
    """Stop one local service (postgres or kafka), e.g. to try an outage; start brings it back."""
    try:
        services.stop_service(get_settings(), name)
    except LocalServiceError as exc:
        _fail(exc)
    _console.print(f"{name} stopped")


@app.command()
def start(name: str) -> None:
    """Start one local service (postgres or kafka) on its remembered port."""
    try:
        url = services.start_service(get_settings(), name)
    except LocalServiceError as exc:
        _fail(exc)
    _console.print(f"{name} running  {escape(url)}", soft_wrap=True)


@app.command()
def status() -> None:
    """Show which local services run, with their pids, ports and URLs."""
    table = Table("service", "running", "pid", "port")
    table.add_column("url", overflow="fold")
    for name, info in services.status(get_settings()).items():
        running = "[green]yes[/]" if info["running"] else "[red]no[/]"
        table.add_row(name, running, str(info["pid"] or "-"), str(info["port"] or "-"), info["url"] or "-")
    _console.print(table)
    for name, var in _ENV_OF.items():
        if _given(name):
            _console.print(f"note: {var} is set, so the app uses it instead of the local {name}")


@app.command()
def env() -> None:
    """Print export lines for the running services: eval "$(sessionstream local env)"."""
    try:
        values = services.env(get_settings())
    except LocalServiceError as exc:
        _fail(exc)
    for var, value in values.items():
        typer.echo(f"export {var}={shlex.quote(value)}")


def _given(name: str) -> bool:
    settings = get_settings()
    if name == "postgres":
        return bool(settings.database_url and settings.database_url.get_secret_value())
    return bool(settings.kafka_bootstrap_servers)


def _fail(exc: Exception) -> NoReturn:
    _errors.print(f"[red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=1)
