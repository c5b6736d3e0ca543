"""gen's commands of what it costs: cost, prices update.

Each registers itself on the `main` group of generator/cli.py; the shared helpers live there."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click

from ..cli import (main, EXIT_FINDINGS, EXIT_OK, InputError, finish, _price_table, _routable)

@main.command(short_help="The monthly list-price estimate of a hub, component by component.")
@click.argument("spec_file", metavar="SPEC", type=click.Path(dir_okay=False))
@click.option("--prices", "price_file", metavar="FILE", type=click.Path(dir_okay=False),
              help="A price table written by `gen prices update` [default: the table shipped with gen].")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True,
              help="text for terminals, markdown for a pull request, json for scripts.")
def cost(spec_file: str, price_file: str | None, fmt: str) -> None:
    """Estimate what the hub in SPEC costs a month at list prices: each gateway by SKU (and an
    ErGwScale gateway's scale units), VPN tunnels beyond the 10 a gateway includes, Route
    Server, the firewall by tier and the data it processes, the public IPs, and the firewall's
    logs into Log Analytics. Usage comes from the spec's `costAssumptions` (data through the
    firewall, log volume, scale units), else defaults that the estimate says it assumed.

    Each price comes from the price table: the one shipped with gen names the source and
    date of every row; `gen prices update` writes a fresh one from the Azure Retail Prices API
    for your region and currency. A line without a price says "unknown" and is left out of
    the total. Nothing is queried: the estimate works offline.

    \b
    Examples:
      gen cost spec.json
      gen prices update --region westeurope -o prices.json && gen cost spec.json --prices prices.json
    """
    from .. import cost as costing

    table = _price_table(price_file)
    analysis = _routable(spec_file)
    estimate = None
    for topology in analysis.fleet.topologies:  # several hubs: one estimate of every hub's lines
        estimate = costing.combine(estimate, costing.estimate(topology, table))
    click.echo({"text": costing.as_text, "markdown": costing.as_markdown, "json": costing.as_json}[fmt](estimate), nl=False)
    finish(EXIT_FINDINGS if analysis.errors else EXIT_OK)


@main.group(short_help="The price table gen estimates costs with.")
def prices() -> None:
    """The price table `gen cost`, the output README and the cost delta of `gen diff` and
    `gen check` use. gen ships one (each row with its source and date); `gen prices update`
    writes a fresh one from the Azure Retail Prices API."""


@prices.command(short_help="Write a price table from the Azure Retail Prices API.")
@click.option("--region", default="eastus", show_default=True, metavar="REGION",
              help="The Azure region whose prices to fetch (armRegionName, e.g. westeurope). Route Server is priced "
                   "under Global whatever the region.")
@click.option("--currency", default="USD", show_default=True, metavar="CODE",
              help="The currency (USD, EUR, GBP, ...); prices under Global come in USD only.")
@click.option("-o", "--output", "target", default="prices.json", show_default=True, type=click.Path(dir_okay=False),
              help="Where to write the table.")
@click.option("--force", is_flag=True, help="Overwrite the -o file if it exists.")
def update(region: str, currency: str, target: str, force: bool) -> None:
    """Look up every row of the price table (the shipped one) in the Azure Retail Prices API
    (https://prices.azure.com/api/retail/prices, no sign-in) for REGION and CURRENCY, and write
    the table with today's prices, each row with the API query it came from and its effective
    date. Each row matches its SKU, meter and product exactly (a service alone returns every
    meter of it), consumption prices only, the charged tier (Log Analytics' first 5 GB are
    free). Rows the API does not answer are listed and marked: they keep their old price when
    it was of the same region and currency, else they become unknown.

    The only command that uses the network. Exit 0 when every row was found, 1 when some were
    not, 2 when the API cannot be reached or answers something else.

    \b
    Example:
      gen prices update --region westeurope --currency EUR -o prices.json
    """
    import datetime

    from ..output import write_file
    from ..prices import PriceTableError, fetch_json
    from ..prices import update as update_prices

    if not re.fullmatch(r"[a-z0-9]{2,40}", region) or not re.fullmatch(r"[A-Z]{3}", currency):
        raise click.UsageError("--region is an armRegionName such as westeurope; --currency a three-letter code such as EUR")
    if Path(target).exists() and not force:
        raise InputError(f"{target}: exists; give --force to overwrite it")
    try:
        table, missing = update_prices(None, region, currency, fetch_json, datetime.date.today().isoformat())
        write_file(target, json.dumps(table, indent=2) + "\n")
    except PriceTableError as exc:
        raise InputError(str(exc)) from None
    except OSError as exc:
        raise InputError(f"{target}: cannot write ({exc.strerror or exc})") from None
    click.echo(f"wrote {target}: {len(table['rows'])} prices for {region} in {currency}", err=True)
    rows = {row["key"]: row for row in table["rows"]}
    for key in missing:
        click.echo(f"  not found in the API: {key} ({rows[key]['note'].split(': ')[-1]}, marked)", err=True)
    finish(EXIT_FINDINGS if missing else EXIT_OK)
