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
import math
import re
import urllib.parse
from dataclasses import dataclass
from functools import lru_cache
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


MAX_PRICE = 1_000_000.0  # per unit: far above any network meter; beyond it the table is wrong, not the network dear


def _price(value, where: str) -> float | None:
    """A price: a finite number from 0 to MAX_PRICE, or null for unknown."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{where}: retailPrice {str(value)[:40]!r} is not a price")
    try:
        number = float(value)
    except OverflowError:
        raise ValueError(f"{where}: retailPrice is too large to be a price") from None
    if not math.isfinite(number) or not 0 <= number <= MAX_PRICE:
        raise ValueError(f"{where}: retailPrice {number} is not a price (0 to {MAX_PRICE:,.0f})")
    return number


def _text(row: dict, key: str, where: str, required: bool = True, pattern: str | None = None) -> str:
    value = row.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or len(value) > 2000 or any(not c.isprintable() for c in value):
        raise ValueError(f"{where}: {key} is not a line of text")
    if pattern is not None and not re.fullmatch(pattern, value):
        raise ValueError(f"{where}: {key} {value[:40]!r} is not what a price table holds there")
    return value


def load(path: str | Path | None = None) -> PriceTable:
    """The table at `path`, or the one shipped with gen (read once a process: every render and hub asks for it).
    Every value is checked where it enters: a table written by hand or by another tool reaches Markdown and totals
    only as prices, codes and lines of text."""
    return _shipped() if path is None else _load(path)


@lru_cache(maxsize=1)
def _shipped() -> PriceTable:
    return _load(None)


def _load(path: str | Path | None) -> PriceTable:
    try:
        if path is None:
            text = resources.files("generator").joinpath("prices.json").read_text("utf-8")
            origin = "shipped with gen"
        else:
            text = Path(path).read_text("utf-8")
            origin = "the price table " + Path(path).name
        data = json.loads(text)
        if not isinstance(data, dict) or not isinstance(data.get("rows"), list):
            raise ValueError("not an object with a list of rows")
        currency = _text(data, "currency", "the table", pattern=r"[A-Z]{3}")
        region = _text(data, "region", "the table", pattern=r"[A-Za-z0-9]{2,40}")
        recorded = _text(data, "recorded", "the table", pattern=r"\d{4}-\d{2}-\d{2}")
        hours = data.get("hoursPerMonth", 730)
        if isinstance(hours, bool) or not isinstance(hours, int) or not 672 <= hours <= 744:
            raise ValueError(f"hoursPerMonth {str(hours)[:20]} is not the hours of a month (672 to 744)")
        prices = {}
        for index, row in enumerate(data["rows"]):
            where = f"row {index}"
            if not isinstance(row, dict):
                raise ValueError(f"{where} is not an object")
            key = _text(row, "key", where, pattern=r"[a-z0-9-]+(:[A-Za-z0-9]+)?")
            if key in prices:
                raise ValueError(f"{where}: key {key} appears twice")
            prices[key] = Price(
                key, _text(row, "meterName", where), _text(row, "unitOfMeasure", where),
                _price(row.get("retailPrice"), where),
                _text(row, "currencyCode", where, required=False, pattern=r"[A-Z]{3}") or currency,
                _text(row, "armRegionName", where, pattern=r"[A-Za-z0-9]{2,40}"),
                _text(row, "source", where, required=False), _text(row, "sourceDate", where, required=False),
                _text(row, "note", where, required=False))
        return PriceTable(currency, region, recorded, hours, prices, origin)
    except (OSError, UnicodeDecodeError) as exc:
        raise PriceTableError(f"{path}: cannot be read ({getattr(exc, 'strerror', None) or exc})") from None
    except (ValueError, RecursionError) as exc:
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
        if not isinstance(url, str):
            raise PriceTableError("the answer's NextPageLink is not a link: not the Retail Prices API's shape")
    raise PriceTableError(f"more than {MAX_PAGES} pages for one service: the filter matches far more than it should")


def _tier(item: dict) -> float:
    """An item's tierMinimumUnits as a number (an answer that holds something else counts as tier 0)."""
    value = item.get("tierMinimumUnits")
    try:
        number = float(value) if isinstance(value, (int, float, str)) and not isinstance(value, bool) else 0.0
    except (ValueError, OverflowError):
        return 0.0
    return number if math.isfinite(number) and number >= 0 else 0.0


def _priced(item: dict) -> bool:
    try:
        return _price(item.get("retailPrice"), "item") is not None
    except ValueError:
        return False  # a negative, endless or missing price is no price: the row stays as it was


def _matching(row: dict, items: list[dict]) -> dict | None:
    """The item of this row: exact skuName, meterName and productName (a service alone matches every meter), a
    primary meter region, the charged tier (the highest tierMinimumUnits: Log Analytics' 0 GB row is the free one),
    the latest effectiveStartDate."""
    candidates = [i for i in items
                  if i.get("skuName") == row["skuName"] and i.get("meterName") == row["meterName"]
                  and (row.get("productName") in (None, i.get("productName")))
                  and i.get("isPrimaryMeterRegion", True) is not False
                  and i.get("type", "Consumption") == "Consumption"  # a reservation's price is for the whole term
                  and _priced(i)]
    if not candidates:
        return None
    return max(candidates, key=lambda i: (_tier(i), str(i.get("effectiveStartDate") or "")))


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
            # an old price is kept only where it was of the same region and currency, and said so
            same = row["armRegionName"] == where and (row.get("currencyCode") or current.get("currency")) == currency
            new.update(retailPrice=row["retailPrice"] if same else None,
                       note=f"not in the API's answer on {today} for {where} in {currency}: "
                            + ("kept from before" if same else "unknown"))
        else:
            said = item.get("currencyCode")
            new.update(retailPrice=_price(item["retailPrice"], row["key"]),
                       currencyCode=said if isinstance(said, str) and re.fullmatch(r"[A-Z]{3}", said) else currency,
                       meterId=str(item.get("meterId", ""))[:64], source=_url(row["serviceName"], where, currency),
                       sourceDate=f"{today} (effective {str(item.get('effectiveStartDate', ''))[:10]})")
            if borrowed:
                new["note"] = borrowed
            if row["key"] == "log-ingestion":
                new["note"] = f"the first {_tier(item):g} GB a month are free (the meter's tier 0)"
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
            return json.loads(response.read(50_000_000).decode("utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        raise PriceTableError(f"{API}: {str(exc)[:200]}") from None
