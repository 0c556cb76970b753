"""``rma audit``: seal the chains, verify them, export a bundle anyone can check offline."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(help="The tamper-evident audit trail.", no_args_is_help=True)
console = Console()

SellerOption = Annotated[
    str | None, typer.Option("--seller", help="One seller's chain (\"\" for the platform's).")
]


@app.command("seal")
def seal() -> None:
    """Chain and sign every committed entry not sealed yet (the due jobs do this too)."""
    from rma.bootstrap import bootstrap
    from rma.services.audit import seal_audit
    from rma.trust_wiring import audit_chains, audit_keys

    container = bootstrap()
    sealed = seal_audit(audit_chains(container), audit_keys(container))
    console.print(f"sealed {sealed} entries")


@app.command("verify")
def verify(seller: SellerOption = None) -> None:
    """Check every chain (or one): exit 1 naming the first bad entry of each broken chain."""
    from rma.bootstrap import bootstrap
    from rma.services.audit import verify_audit
    from rma.trust_wiring import audit_chains, audit_keys

    container = bootstrap()
    started = time.perf_counter()
    found = verify_audit(
        audit_chains(container),
        audit_keys(container),
        seller,
        container.settings.retention_history_months,
    )
    took = time.perf_counter() - started
    broken = 0
    for result in found:
        check = result.check
        name = check.seller_id or "(platform)"
        if check.first_bad is None:
            console.print(
                f"{name}: ok, {check.entries} entries sealed, {result.unsealed} waiting to be,"
                f" {result.history_rows} history rows match their entries"
            )
        else:
            broken += 1
            console.print(f"{name}: [bold red]BROKEN[/] {check.first_bad.message}")
    total = sum(r.check.entries for r in found)
    console.print(f"checked {total} entries in {took:.2f} s")
    if broken:
        raise typer.Exit(1)


@app.command("export")
def export(
    folder: Annotated[Path, typer.Argument(help="Folder to write the bundle into.")],
    seller: SellerOption = None,
) -> None:
    """Write entries, checkpoints, the public key and verify.py: `python verify.py FOLDER`."""
    from rma.bootstrap import bootstrap
    from rma.services.audit import export_audit
    from rma.trust_wiring import audit_chains, audit_keys

    container = bootstrap()
    written = export_audit(audit_chains(container), audit_keys(container), folder, seller)
    console.print(
        f"wrote {written} entries to {folder}; check with: python {folder}/verify.py {folder}"
    )
