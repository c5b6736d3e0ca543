"""The price table gen estimates with: shipped with gen (generator/prices.json, each row with its source and date),
refreshed by `gen prices update` from the Azure Retail Prices API.

The API: https://learn.microsoft.com/rest/api/cost-management/retail-prices/azure-retail-prices (GET
https://prices.azure.com/api/retail/prices, no authentication; `$filter` on serviceName, armRegionName, skuName,
meterName, priceType...; `currencyCode` a separate parameter; up to 1,000 items a page and a NextPageLink until it is
null). The pitfalls users report, each handled here: one service returns many meters (a gateway's hour, its extra
tunnels, bandwidth), so each row matches skuName, meterName and productName exactly, never a service alone; Route
Server is priced under region "Global", not the hub's; Log Analytics ingestion has a free tier row (0 GB) and a
charged one (from 5 GB); reservation and dev/test rows come with consumption ones unless priceType filters them.
"""

from __future__ import annotations

import json
import urllib.parse
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Callable

API = "https://prices.azure.com/api/retail/prices"
API_VERSION = "2023-01-01-preview"
MAX_PAGES = 50  # a service of these has a few hundred meters per region: 50 pages of 1,000 is far beyond


class PriceTableError(Exception):
    """A price table that cannot be read, or an API answer that is not the documented shape."""


@dataclass(frozen=True)
class Price:
    key: str
    meter: str
    unit: str
    price: float | None  # None: no source gave it (the estimate says "unknown")
    currency: str
    region: str
    source: str
    date: str
    note: str = ""


@dataclass(frozen=True)
class PriceTable:
    currency: str
    region: str
    recorded: str
    hours_per_month: int
    prices: dict[str, Price]
    origin: str  # "shipped with gen" or the file's path

    def get(self, key: str) -> Price | None:
        return self.prices.get(key)


def load(path: str | Path | None = None) -> PriceTable:
    """The table at `path`, or the one shipped with gen."""
    try:
        if path is None:
            text = resources.files("generator").joinpath("prices.json").read_text("utf-8")
            origin = "shipped with gen"
        else:
            text = Path(path).read_text("utf-8")
            origin = str(path)
        data = json.loads(text)
        currency = str(data["currency"])
        prices = {}
        for row in data["rows"]:
            price = row.get("retailPrice")
            if price is not None and (isinstance(price, bool) or not isinstance(price, (int, float)) or price < 0):
                raise ValueError(f"row {row.get('key')!r}: retailPrice {price!r} is not a price")
            prices[str(row["key"])] = Price(
                str(row["key"]), str(row["meterName"]), str(row["unitOfMeasure"]), price,
                str(row.get("currencyCode") or currency), str(row["armRegionName"]), str(row.get("source") or ""),
                str(row.get("sourceDate") or ""), str(row.get("note") or ""))
        return PriceTable(currency, str(data["region"]), str(data["recorded"]), int(data.get("hoursPerMonth", 730)),
                          prices, origin)
    except (OSError, UnicodeDecodeError) as exc:
        raise PriceTableError(f"{path}: cannot be read ({getattr(exc, 'strerror', None) or exc})") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise PriceTableError(f"{path or 'generator/prices.json'}: not a gen price table ({exc})") from None


# --- gen prices update --------------------------------------------------------------------------------------------


def _url(service: str, region: str, currency: str) -> str:
    query = {"api-version": API_VERSION, "currencyCode": f"'{currency}'",
             "$filter": f"serviceName eq '{service}' and armRegionName eq '{region}' and priceType eq 'Consumption'"}
    return f"{API}?{urllib.parse.urlencode(query, quote_via=urllib.parse.quote)}"


def _items(fetch: Callable[[str], dict], url: str) -> list[dict]:
    """Every item of a query, page after page (NextPageLink until null)."""
    found: list[dict] = []
    for _ in range(MAX_PAGES):
        page = fetch(url)
        if not isinstance(page, dict) or not isinstance(page.get("Items"), list):
            raise PriceTableError(f"{url}: the answer has no Items list: not the Retail Prices API's shape")
        found += [item for item in page["Items"] if isinstance(item, dict)]
        url = page.get("NextPageLink")
        if not url:
            return found
    raise PriceTableError(f"more than {MAX_PAGES} pages for one service: the filter matches far more than it should")


def _matching(row: dict, items: list[dict]) -> dict | None:
    """The item of this row: exact skuName, meterName and productName (a service alone matches every meter), a
    primary meter region, the charged tier (the highest tierMinimumUnits: Log Analytics' 0 GB row is the free one),
    the latest effectiveStartDate."""
    candidates = [i for i in items
                  if i.get("skuName") == row["skuName"] and i.get("meterName") == row["meterName"]
                  and (row.get("productName") in (None, i.get("productName")))
                  and i.get("isPrimaryMeterRegion", True) is not False
                  and i.get("type", "Consumption") == "Consumption"  # a reservation's price is for the whole term
                  and isinstance(i.get("retailPrice"), (int, float)) and not isinstance(i.get("retailPrice"), bool)]
    if not candidates:
        return None
    return max(candidates, key=lambda i: (float(i.get("tierMinimumUnits") or 0), str(i.get("effectiveStartDate") or "")))


def update(table_path: str | Path | None, region: str, currency: str, fetch: Callable[[str], dict],
           today: str) -> tuple[dict, list[str]]:
    """A new table for `region` in `currency`: every row of the current table looked up in the API. Returns the
    table and the rows the API did not answer (kept as they were, said so in their note)."""
    current = json.loads(resources.files("generator").joinpath("prices.json").read_text("utf-8")) if table_path is None \
        else json.loads(Path(table_path).read_text("utf-8"))
    by_query: dict[tuple[str, str], list[dict]] = {}
    missing: list[str] = []
    rows = []
    for row in current["rows"]:
        where = "Global" if row["armRegionName"] == "Global" else region  # Route Server: priced under Global only
        query = (row["serviceName"], where)
        if query not in by_query:
            by_query[query] = _items(fetch, _url(row["serviceName"], where, currency))
        item = _matching(row, by_query[query])
        borrowed = ""
        if item is None and row["key"].startswith("vpn-s2s-tunnel:") and row["skuName"].endswith("AZ"):
            # The API has no S2S meter for VpnGw4AZ and VpnGw5AZ (ahmadabdalla/azure-cost-calculator's VPN Gateway
            # reference): the non-AZ SKU's, assumed the same rate as for the SKUs that have both.
            item = _matching({**row, "skuName": row["skuName"][:-2]}, by_query[query])
            borrowed = f"the API has no S2S meter for {row['skuName']}: {row['skuName'][:-2]}'s rate (assumed the same)"
        new = {k: v for k, v in row.items() if k not in ("note", "currencyCode")}
        new["armRegionName"] = where
        if item is None:
            missing.append(row["key"])
            new.update(retailPrice=row["retailPrice"] if row["armRegionName"] == where else None,
                       note=f"not in the API's answer on {today} for {where}: "
                            + ("kept from before" if row["armRegionName"] == where else "unknown"))
        else:
            new.update(retailPrice=item["retailPrice"], currencyCode=item.get("currencyCode", currency),
                       meterId=item.get("meterId", ""), source=_url(row["serviceName"], where, currency),
                       sourceDate=f"{today} (effective {str(item.get('effectiveStartDate', ''))[:10]})")
            if borrowed:
                new["note"] = borrowed
            if row["key"] == "log-ingestion":
                new["note"] = f"the first {int(float(item.get('tierMinimumUnits') or 0))} GB a month are free (the meter's tier 0)"
        rows.append(new)
    table = {**{k: v for k, v in current.items() if k != "rows"}, "currency": currency, "region": region,
             "recorded": today, "how": "gen prices update, from the Azure Retail Prices API", "rows": rows}
    return table, missing


def fetch_json(url: str) -> dict:
    """GET a URL of the Retail Prices API (the only network call gen makes, and only in `gen prices update`)."""
    import urllib.request

    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "https" or parts.hostname != "prices.azure.com" or not parts.path.startswith("/api/retail/prices"):
        raise PriceTableError(f"{url}: not the Retail Prices API (a NextPageLink elsewhere is not followed)")
    request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": "gen-prices-update"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.loads(response.read().decode("utf-8"))
    except (OSError, ValueError) as exc:
        raise PriceTableError(f"{API}: {exc}") from None
