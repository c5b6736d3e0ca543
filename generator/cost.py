"""The monthly list-price estimate of a hub, component by component, and the delta of a change.

Each line is a meter of the price table (prices.py) times a quantity: hours of a month for what runs all the time
(gateways, Route Server, the firewall, public IPs), GB for what is billed by use (data through the firewall, logs
into Log Analytics: `costAssumptions`, or the defaults, said as assumed). What the estimate leaves out is said too:
the circuits themselves (they exist before the hub and are billed to their owner's port or provider), data through
the gateways and peerings, Route Server routing infrastructure units beyond the two included.

Sources of how each is billed: VPN Gateway pricing (https://azure.microsoft.com/pricing/details/vpn-gateway/: site-to-
site tunnels beyond the first 10 of a gateway are billed per tunnel-hour, as MicrosoftDocs/azure-docs#85917 quotes
it), Azure Firewall pricing (a deployment hour and a data-processed GB,
https://azure.microsoft.com/pricing/details/azure-firewall/), Azure Monitor pricing (ingestion per GB, the first 5 GB
a month free, https://azure.microsoft.com/pricing/details/monitor/), Route Server pricing (an hourly price that
includes 2 routing infrastructure units, https://azure.microsoft.com/pricing/details/route-server/).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from . import markdown
from .model import Topology
from .prices import Price, PriceTable

INCLUDED_TUNNELS = 10  # site-to-site tunnels in a VPN gateway's hourly price (assumed: a connection is a tunnel)
FREE_LOG_GB = 5  # Log Analytics ingestion free each month


@dataclass(frozen=True)
class Line:
    component: str  # "hub VPN gateway vpngw-hub"
    meter: str  # "VpnGw1AZ", "S2S Connection", ...
    quantity: float
    unit: str  # "hours", "GB", "tunnel-hours"
    price: Price | None  # None: the table has no row for it
    note: str = ""

    currency: str = ""  # the table's: a row priced in another currency is unknown here, never summed

    @property
    def unit_price(self) -> float | None:
        if self.price is None or (self.currency and self.price.currency != self.currency):
            return None
        return self.price.price

    @property
    def monthly(self) -> float | None:
        return None if self.unit_price is None else round(self.quantity * self.unit_price, 2)


@dataclass(frozen=True)
class Estimate:
    lines: tuple[Line, ...]
    table: PriceTable
    assumptions: tuple[str, ...]  # what the estimate assumes, in words
    location: str

    @property
    def total(self) -> float:
        return round(sum(line.monthly or 0 for line in self.lines), 2)

    @property
    def unknown(self) -> tuple[Line, ...]:
        return tuple(line for line in self.lines if line.monthly is None)


def estimate(t: Topology, table: PriceTable) -> Estimate:
    hours = table.hours_per_month
    usage = t.cost_assumptions
    lines: list[Line] = []

    def add(component: str, key: str, quantity: float, unit: str, note: str = "") -> None:
        price = table.get(key)
        if price is not None and price.currency != table.currency:
            note = f"priced in {price.currency}, not the table's {table.currency}: left out" + (f"; {note}" if note else "")
        lines.append(Line(component, price.meter if price else key.split(":")[-1], quantity, unit, price, note,
                          table.currency))

    hub = t.hub
    if hub.expressroute_gateway:
        er = hub.expressroute_gateway
        units, said = 1, ""
        if er.sku == "ErGwScale":  # billed per scale unit: never fewer than the gateway's minimum, never more than its maximum
            low, high = er.scale_units or (1, 40)
            units = min(max(usage.er_scale_units, low), high)
            said = (f"{units} scale unit(s)" + ("" if "erGatewayScaleUnits" in usage.given else " assumed")
                    + f" (the gateway scales from {low} to {high})")
        add(f"ExpressRoute gateway {er.name}", f"er-gateway:{er.sku}", hours * units, "hours", said)
    for gateway in t.vpn_gateways:
        add(f"{gateway.label or 'VPN gateway'} {gateway.name}", f"vpn-gateway:{gateway.sku}", hours, "hours")
        tunnels = _tunnels(t, gateway)
        extra = max(tunnels - INCLUDED_TUNNELS, 0)
        if extra:
            add(f"{gateway.name}: tunnels beyond the {INCLUDED_TUNNELS} included", f"vpn-s2s-tunnel:{gateway.sku}",
                hours * extra, "tunnel-hours", f"{tunnels} connections, {extra} beyond the included")
    if hub.route_server:
        add(f"Route Server {hub.route_server.name}", "route-server", hours, "hours",
            "2 routing infrastructure units included (up to 4,000 VMs)")
    if hub.firewall:
        fw = hub.firewall
        add(f"Azure Firewall {fw.name}", f"firewall:{fw.tier}", hours, "hours")
        add(f"Azure Firewall {fw.name}: data processed", f"firewall-data:{fw.tier}", usage.firewall_data_gb, "GB",
            "assumed" if "firewallDataProcessedGb" not in usage.given else "costAssumptions")
        if fw.diagnostics:
            billed = max(usage.log_ingestion_gb - FREE_LOG_GB, 0)
            add("Log Analytics: firewall logs ingested", "log-ingestion", billed, "GB",
                f"{usage.log_ingestion_gb:g} GB a month "
                + ("(assumed)" if "logIngestionGb" not in usage.given else "(costAssumptions)")
                + f", the first {FREE_LOG_GB} free")
    ips = len(t.public_ips)
    if ips:
        add("Standard public IP addresses" + (f" of hub {t.hub_name}" if t.hub_name else ""), "public-ip", hours * ips,
            "hours", f"{ips} address(es)")
    assumed = [f"a month is {hours} hours (the Azure pricing calculator's)",
               f"{usage.firewall_data_gb:g} GB a month through the firewall" if hub.firewall else "",
               f"{usage.log_ingestion_gb:g} GB a month of firewall logs" if hub.firewall and hub.firewall.diagnostics else "",
               f"each connection of a VPN gateway is one billed tunnel, the first {INCLUDED_TUNNELS} included"
               if t.vpn_gateways else "",
               "not estimated: the circuits (billed to their owner), data through gateways and peerings, Route Server "
               "routing infrastructure units beyond the two included",
               # Several hubs: a flow between regions crosses both firewalls and the global peering both ways.
               "not estimated either: global VNet peering transfer between the hubs' regions, billed in and out "
               "(https://azure.microsoft.com/pricing/details/virtual-network/), and a flow between regions is processed by "
               "both firewalls" if t.remote_hubs else ""]
    return Estimate(tuple(lines), table, tuple(a for a in assumed if a), str(t.location))


def _tunnels(t: Topology, gateway) -> int:
    """Connections on a VPN gateway: the hub's, one per site device and one per VNet branch; a branch's, one."""
    if t.hub.vpn_gateway is not None and gateway.name == t.hub.vpn_gateway.name:
        return len(t.site_devices) + len(t.vnet_branches)
    return 1


# --- presenting ---------------------------------------------------------------------------------------------------


def money(value: float | None, currency: str) -> str:
    return "unknown" if value is None else f"{value:,.2f} {currency}"


def quantity(value: float) -> str:
    """A quantity as billed: whole numbers grouped, a fraction kept (0.4 GB is not 0 GB)."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _caveats(e: Estimate, text=str, code=lambda command: f"`{command}`") -> list[str]:
    """What the reader must know about the total; `text` and `code` quote for the target (Markdown escapes)."""
    said = []
    if e.table.region != e.location:
        fetch = (" " + code(f"gen prices update --region {e.location}") + text(" fetches its own")) \
            if re.fullmatch(r"[a-z0-9]{2,40}", e.location) else ""  # never print a command from a value that is no region
        where = f"the hub is in {e.location}" if "," not in e.location else f"the hubs are in {e.location}"
        said.append(text(f"prices are {e.table.region}'s (the table's region), {where}") + (text(":") + fetch if fetch else ""))
    if e.unknown:
        said.append(text(f"{len(e.unknown)} line(s) have no price in the table, so the total leaves them out: "
                         f"{', '.join(sorted({line.meter for line in e.unknown}))} (")
                    + code("gen prices update") + text(" fetches them)"))
    return said


def as_text(e: Estimate) -> str:
    cur = e.table.currency
    rows = [("component", "meter", "quantity", "unit price", "per month")]
    for line in e.lines:
        rows.append((line.component, line.meter, f"{quantity(line.quantity)} {line.unit}",
                     "unknown" if line.unit_price is None else f"{line.unit_price:g}", money(line.monthly, cur)))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    out = ["  ".join(cell.ljust(w) if i < 2 else cell.rjust(w) for i, (cell, w) in enumerate(zip(r, widths))).rstrip()
           for r in rows]
    out += ["", f"total: {money(e.total, cur)} a month (list prices, {e.table.origin}, recorded {e.table.recorded})"]
    out += [f"note: {c}" for c in _caveats(e)]
    out += ["assumed: " + "; ".join(e.assumptions), "", "prices:"]
    for key, price in sorted({line.price.key: line.price for line in e.lines if line.price}.items()):
        out.append(f"  {key}: {price.price if price.price is not None else 'unknown'} {price.currency} per "
                   f"{price.unit}, {price.region}, {price.date or 'no date'}; {price.source or 'no source'}"
                   + (f" ({price.note})" if price.note else ""))
    return "\n".join(out) + "\n"


def _grouped(lines: tuple[Line, ...]) -> list[Line]:
    """The branches' gateways of one SKU as one line: a hundred branches make one row, not a hundred."""
    found: list[Line] = []
    groups: dict[str, list[Line]] = {}
    for line in lines:
        if line.component.startswith("branch '"):
            if line.meter not in groups:
                groups[line.meter] = []
                found.append(line)  # its place in the table
            groups[line.meter].append(line)
        else:
            found.append(line)
    merged = []
    for line in found:
        members = groups.get(line.meter) if line.component.startswith("branch '") else None
        if members and len(members) > 1:
            merged.append(Line(f"{len(members)} branch VPN gateways ({', '.join(m.component.split(chr(39))[1] for m in members[:3])}, ...)",
                               line.meter, sum(m.quantity for m in members), line.unit, line.price))
        else:
            merged.append(line)
    return merged


def as_markdown(e: Estimate, rows: int | None = None) -> str:
    """The estimate as a table; with more lines than `rows`, the branches' gateways of one SKU are one line."""
    cur = e.table.currency
    lines = ["| component | meter | quantity | unit price | per month | price date |", "|---|---|---|---|---|---|"]
    for line in (_grouped(e.lines) if rows is not None and len(e.lines) > rows else e.lines):
        date = line.price.date if line.price and line.price.date else "–"
        lines.append(f"| {markdown.text(line.component)} | {markdown.text(line.meter)} | {quantity(line.quantity)} {line.unit} | "
                     f"{'unknown' if line.unit_price is None else f'{line.unit_price:g}'} | "
                     f"{markdown.text(money(line.monthly, cur))} | {markdown.text(date)} |")
    lines += ["", f"**{markdown.text(money(e.total, cur))} a month** at list prices ({markdown.text(e.table.origin)}, "
                  f"recorded {markdown.text(e.table.recorded)}; `gen cost SPEC` lists each price's source)."]
    lines += [f"Note: {c}." for c in _caveats(e, markdown.text, markdown.code)]
    lines += ["Assumed: " + markdown.text("; ".join(e.assumptions)) + "."]
    return "\n".join(lines) + "\n"


def as_json(e: Estimate) -> str:
    return json.dumps({
        "currency": e.table.currency, "region": e.table.region, "recorded": e.table.recorded, "table": e.table.origin,
        "total": e.total, "assumptions": list(e.assumptions),
        "lines": [{"component": line.component, "meter": line.meter, "quantity": line.quantity, "unit": line.unit,
                   "unitPrice": line.unit_price, "monthly": line.monthly,
                   "priceKey": line.price.key if line.price else None,
                   "priceDate": line.price.date if line.price else None,
                   "priceSource": line.price.source if line.price else None, "note": line.note} for line in e.lines],
    }, indent=2) + "\n"


# --- the delta of a change ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Delta:
    before: Estimate | None  # None: nothing deployed before (a new hub)
    after: Estimate

    @property
    def change(self) -> float | None:
        """None when a line that changes has no price on one side: a number would pretend to know."""
        if any(old is None or new is None for _, old, new in self._changed()):
            return None
        return round(self.after.total - (self.before.total if self.before else 0), 2)

    def _changed(self):
        """(what, monthly before, monthly after) of each component whose line differs: a resized gateway is one line
        with both meters; a line that appears or goes counts as 0 on the other side; no price is None."""
        old = {l.component: l for l in self.before.lines} if self.before else {}
        new = {l.component: l for l in self.after.lines}
        for key in dict.fromkeys([*old, *new]):
            before, after = old.get(key), new.get(key)
            if before is not None and after is not None and (before.monthly, before.meter) == (after.monthly, after.meter):
                continue
            meters = " -> ".join(dict.fromkeys(l.meter for l in (before, after) if l is not None))
            yield (f"{key} ({meters})", None if before is not None and before.monthly is None else (before.monthly if before else 0),
                   None if after is not None and after.monthly is None else (after.monthly if after else 0))

    def changed_lines(self) -> list[tuple[str, float | None, float | None]]:
        """(component and meter, monthly before, monthly after) of each line that differs; None: no price."""
        return list(self._changed())

    def summary(self) -> str:
        cur = self.after.table.currency
        before = money(self.before.total, cur) if self.before else "nothing"
        if self.change is None:  # no totals: a total without the unpriced line would read as a saving
            unpriced = sorted({what for what, old, new in self.changed_lines() if old is None or new is None})
            return (f"monthly cost change unknown: {', '.join(unpriced)} has no price in the table (gen prices update "
                    f"fetches it)")
        sign = "+" if self.change >= 0 else "-"
        unknown = " (lines without a price left out)" if self.after.unknown or (self.before and self.before.unknown) else ""
        return (f"monthly cost {before} -> {money(self.after.total, cur)} ({sign}{abs(self.change):,.2f} {cur}){unknown}, "
                f"list prices recorded {self.after.table.recorded}")


def delta(before: Topology | None, after: Topology, table: PriceTable) -> Delta:
    return Delta(estimate(before, table) if before is not None else None, estimate(after, table))


def combine(first: Estimate | None, second: Estimate | None) -> Estimate | None:
    """Two hubs' estimates as one (a spec of several hubs): their lines together, priced from the same table."""
    if first is None or second is None:
        return first or second
    return Estimate(first.lines + second.lines, first.table, tuple(dict.fromkeys(first.assumptions + second.assumptions)),
                    first.location if first.location == second.location else f"{first.location}, {second.location}")


def add_deltas(first: Delta, second: Delta) -> Delta:
    return Delta(combine(first.before, second.before), combine(first.after, second.after))


def delta_lines(d: Delta) -> list[str]:
    """The delta in words: the summary, then each line that changes (text)."""
    cur = d.after.table.currency
    return [d.summary()] + [f"  {what}: {money(old, cur)} -> {money(new, cur)}" for what, old, new in d.changed_lines()]


def delta_markdown(d: Delta) -> str:
    cur = d.after.table.currency
    lines = [f"**Monthly cost**: {markdown.text(d.summary())}."]  # summary() quotes nothing: escaped whole
    changed = d.changed_lines()
    if changed:
        lines += ["", "| what | before | after |", "|---|---|---|"]
        lines += [f"| {markdown.text(what)} | {markdown.text(money(old, cur))} | {markdown.text(money(new, cur))} |"
                  for what, old, new in changed]
    return "\n".join(lines) + "\n"


def delta_json(d: Delta) -> dict:
    return {"currency": d.after.table.currency, "recorded": d.after.table.recorded,
            "before": d.before.total if d.before else None, "after": d.after.total, "change": d.change,
            "lines": [{"what": what, "before": old, "after": new} for what, old, new in d.changed_lines()]}
