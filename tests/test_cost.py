"""The monthly cost estimate, its delta in a change, and `gen prices update` against recorded answers of the Azure
Retail Prices API (tests/fixtures/prices: shaped like the API, see its SOURCES.md; never the network)."""

from __future__ import annotations

import copy
import json
import urllib.parse
from pathlib import Path

import pytest

from conftest import EXAMPLES, load_example, render_data
from generator import cost, model, prices
from test_cli import run, write_spec

RECORDED = Path(__file__).parent / "fixtures" / "prices"


def seed_estimate(data: dict | None = None) -> cost.Estimate:
    return cost.estimate(model.build(data or load_example()), prices.load())


def line(e: cost.Estimate, starts: str) -> cost.Line:
    return next(l for l in e.lines if l.component.startswith(starts))


def test_the_seed_costs_each_component_with_its_price_and_date():
    e = seed_estimate()
    assert [l.component for l in e.lines] == [
        "ExpressRoute gateway ergw-hub", "hub VPN gateway vpngw-hub", "branch 'branch1' VPN gateway vpngw-branch1",
        "Route Server ars-hub", "Azure Firewall afw-hub", "Azure Firewall afw-hub: data processed",
        "Standard public IP addresses"]
    firewall = line(e, "Azure Firewall afw-hub")
    assert (firewall.quantity, firewall.unit_price, firewall.monthly) == (730, 1.25, 912.50)
    assert line(e, "Standard public IP addresses").quantity == 730 * 6  # 2 + 1 (hub VPN) ... every gateway's and the firewall's
    assert e.total == round(sum(l.monthly for l in e.lines), 2) and not e.unknown
    assert all(l.price.date and l.price.source for l in e.lines)  # every row names its date and source
    readme = render_data(load_example())["README.md"]
    assert "## What it costs" in readme and "| Azure Firewall afw-hub | Standard Deployment | 730 hours | 1.25 | 912.50 USD |" in readme
    assert f"**{e.total:,.2f} USD a month**" in readme and "`gen prices update --region japaneast`" in readme


def test_usage_comes_from_cost_assumptions_or_is_said_to_be_assumed():
    data = load_example()
    assert "1000 GB a month through the firewall" in "; ".join(seed_estimate(data).assumptions)
    assert line(seed_estimate(data), "Azure Firewall afw-hub: data processed").note == "assumed"
    data["costAssumptions"] = {"firewallDataProcessedGb": 20000}
    processed = line(seed_estimate(data), "Azure Firewall afw-hub: data processed")
    assert (processed.quantity, processed.monthly, processed.note) == (20000, 320.0, "costAssumptions")


def test_logs_are_billed_beyond_the_free_5_gb():
    data = load_example(EXAMPLES / "hub-spoke.json")
    assert model.build(data).hub.firewall.diagnostics is not None
    data["costAssumptions"] = {"logIngestionGb": 5}
    assert line(seed_estimate(data), "Log Analytics").monthly == 0
    data["costAssumptions"] = {"logIngestionGb": 15}
    assert line(seed_estimate(data), "Log Analytics").monthly == round(10 * 2.30, 2)


def test_tunnels_beyond_the_ten_a_gateway_includes_are_billed():
    data = load_example()
    for i in range(10):  # with branch1, 11 connections on the hub VPN gateway
        data["branches"].append({"name": f"shop{i}", "kind": "site", "gatewayIpAddress": f"198.51.100.{10 + i}",
                                 "addressPrefixes": [f"10.{60 + i}.0.0/24"]})
    extra = line(seed_estimate(data), "vpngw-hub: tunnels beyond the 10 included")
    assert (extra.quantity, extra.unit_price, extra.note) == (730, 0.015, "11 connections, 1 beyond the included")
    data["branches"].pop()
    assert not any("beyond" in l.component for l in seed_estimate(data).lines)


def test_a_price_the_table_does_not_have_is_unknown_never_zero():
    data = load_example()
    data["hub"]["vpnGateway"].update(sku="VpnGw2AZ", generation="Generation1")
    e = seed_estimate(data)
    assert line(e, "hub VPN gateway").monthly is None and len(e.unknown) == 1
    assert "have no price in the table" in cost.as_text(e) and "VpnGw2AZ" in cost.as_text(e)
    d = cost.delta(model.build(load_example()), model.build(data), prices.load())
    assert d.change is None and d.summary().startswith("monthly cost change unknown: hub VPN gateway vpngw-hub (VpnGw1AZ -> VpnGw2AZ)")
    assert "USD ->" not in d.summary()  # no totals: without the unpriced gateway an upgrade would read as a saving


def test_gen_diff_and_check_show_what_a_change_costs(tmp_path, monkeypatch):
    old = load_example()
    new = copy.deepcopy(old)
    new["hub"]["expressRouteGateway"]["sku"] = "ErGw3AZ"
    old_file = write_spec(tmp_path, old, "old.json")
    new_file = write_spec(tmp_path, new, "new.json")
    text = run("diff", old_file, new_file).output
    assert "monthly cost 1,849.03 USD -> 3,155.73 USD (+1,306.70 USD)" in text
    assert "ExpressRoute gateway ergw-hub (ErGw1AZ Gateway -> ErGw3AZ Gateway): 263.53 USD -> 1,570.23 USD" in text
    document = json.loads(run("diff", old_file, new_file, "--format", "json").output)
    assert document["cost"]["change"] == 1306.70 and document["cost"]["before"] == 1849.03
    markdown = run("diff", old_file, new_file, "--format", "markdown").output
    assert "**Monthly cost**: monthly cost 1,849.03 USD -> 3,155.73 USD (+1,306.70 USD)" in markdown


def test_the_pull_request_comment_shows_the_cost_of_a_new_site(tmp_path, monkeypatch):
    """A pull request that adds a site: the comment's summary row and the hub's section carry the delta."""
    from test_check import git, spec_repository

    repo = spec_repository(tmp_path, monkeypatch)
    data = load_example()
    Path("specs/hub.json").write_text(json.dumps(data, indent=2))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "hub")
    data["branches"].append({"name": "shop-oslo", "kind": "site", "gatewayIpAddress": "198.51.100.20",
                             "addressPrefixes": ["10.70.0.0/24"]})
    Path("specs/hub.json").write_text(json.dumps(data, indent=2))
    assert run("render", "specs/hub.json").exit_code == 0
    comment = run("check", "specs/hub.json", "--base", "HEAD", "--format", "markdown").output
    assert "no downtime; +0.00 USD/month" not in comment  # a site adds no gateway: no change, no noise
    document = json.loads(run("check", "specs/hub.json", "--base", "HEAD", "--format", "json").output)
    assert document["hubs"][0]["cost"]["change"] == 0
    data["hub"]["firewall"]["tier"] = "Premium"
    Path("specs/hub.json").write_text(json.dumps(data, indent=2))
    assert run("render", "specs/hub.json").exit_code == 0
    comment = run("check", "specs/hub.json", "--base", "HEAD", "--format", "markdown").output
    assert "+365.00 USD/month" in comment  # Premium: 0.50 USD an hour more, 730 hours
    assert "| Azure Firewall afw-hub (Standard Deployment -> Premium Deployment) | 912.50 USD | 1,277.50 USD |" in comment


# --- gen prices update, on recorded answers ----------------------------------------------------------------------


class RecordedApi:
    """Serves tests/fixtures/prices by the query's serviceName and region, and records each URL asked."""

    FILES = {("VPN Gateway", "westeurope"): "vpn-gateway-1.json", ("ExpressRoute", "westeurope"): "expressroute.json",
             ("Azure Route Server", "Global"): "route-server-global.json",
             ("Azure Firewall", "westeurope"): "azure-firewall.json", ("Virtual Network", "westeurope"): "virtual-network.json",
             ("Log Analytics", "westeurope"): "log-analytics.json"}

    def __init__(self):
        self.asked: list[str] = []

    def __call__(self, url: str) -> dict:
        self.asked.append(url)
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
        if "$skip" in query:  # the second page of VPN Gateway
            return json.loads((RECORDED / "vpn-gateway-2.json").read_text())
        said = query["$filter"][0]
        service = said.split("serviceName eq '")[1].split("'")[0]
        region = said.split("armRegionName eq '")[1].split("'")[0]
        assert "priceType eq 'Consumption'" in said and query["currencyCode"] == ["'USD'"]
        return json.loads((RECORDED / self.FILES.get((service, region), "empty.json")).read_text())


def updated(tmp_path) -> tuple[dict, list[str], RecordedApi]:
    api = RecordedApi()
    table, missing = prices.update(None, "westeurope", "USD", api, "2026-12-07")
    return table, missing, api


def test_prices_update_takes_each_meter_exactly_from_a_recorded_answer(tmp_path):
    table, missing, api = updated(tmp_path)
    rows = {r["key"]: r for r in table["rows"]}
    assert table["region"] == "westeurope" and table["recorded"] == "2026-12-07"
    assert missing == ["er-gateway:UltraPerformance"]  # not in the recorded answer: kept unknown, and listed
    assert "not in the API's answer on 2026-12-07" in rows["er-gateway:UltraPerformance"]["note"]
    # the API has no S2S meter for VpnGw4AZ: the VpnGw4 rate, said so
    assert rows["vpn-s2s-tunnel:VpnGw4AZ"]["retailPrice"] == 0.015 and "VpnGw4's rate" in rows["vpn-s2s-tunnel:VpnGw4AZ"]["note"]
    # one service answers many meters: the gateway's hour is not its S2S or P2S connection's
    assert rows["vpn-gateway:VpnGw1AZ"]["retailPrice"] == 0.21 and rows["vpn-s2s-tunnel:VpnGw1AZ"]["retailPrice"] == 0.015
    assert rows["vpn-gateway:VpnGw2AZ"]["retailPrice"] == 0.536  # from the second page (NextPageLink followed)
    # Route Server is priced under Global, not the hub's region
    assert rows["route-server"]["armRegionName"] == "Global" and rows["route-server"]["retailPrice"] == 0.45
    assert any("armRegionName%20eq%20%27Global%27" in url for url in api.asked)
    # the charged tier of Log Analytics, not the free 0 GB row; a reservation row is never an hourly price
    assert rows["log-ingestion"]["retailPrice"] == 2.99 and "first 5 GB a month are free" in rows["log-ingestion"]["note"]
    assert rows["er-gateway:ErGw1AZ"]["retailPrice"] == 0.361
    # the Standard firewall's deployment hour, not its capacity unit or the secured-hub SKU
    assert rows["firewall:Standard"]["retailPrice"] == 1.25 and rows["firewall-data:Standard"]["retailPrice"] == 0.016
    assert rows["public-ip"]["retailPrice"] == 0.005
    assert all(r["sourceDate"].startswith("2026-12-07 (effective 2026-10-01") for k, r in rows.items() if k not in missing)
    # one query per service and region, the second VPN Gateway page included
    assert len(api.asked) == 7


def test_rows_the_api_does_not_answer_are_listed_and_marked(tmp_path):
    table, missing, _ = updated(tmp_path)
    assert missing == ["er-gateway:UltraPerformance"]
    written = tmp_path / "prices.json"
    written.write_text(json.dumps(table))
    again = prices.load(written)
    assert again.region == "westeurope" and again.get("vpn-gateway:VpnGw2AZ").price == 0.536
    e = cost.estimate(model.build(load_example(EXAMPLES / "vpn-sites.json")), again)
    assert not e.unknown and "prices are" not in cost.as_text(e)  # westeurope's prices for a westeurope hub


def test_gen_prices_update_refuses_what_is_not_a_region_and_never_overwrites_unasked(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run("prices", "update", "--region", "west europe; rm -rf /").exit_code == 2
    Path("prices.json").write_text("{}")
    refused = run("prices", "update", "--region", "westeurope")
    assert refused.exit_code == 2 and "--force" in refused.stderr
    assert Path("prices.json").read_text() == "{}"


def test_a_next_page_link_elsewhere_is_never_followed():
    with pytest.raises(prices.PriceTableError, match="not the Retail Prices API"):
        prices.fetch_json("https://example.net/api/retail/prices?$skip=1000")


def test_a_broken_price_table_is_an_input_error(tmp_path):
    bad = tmp_path / "prices.json"
    bad.write_text(json.dumps({"currency": "USD", "region": "eastus", "recorded": "x", "rows": [
        {"key": "public-ip", "meterName": "m", "unitOfMeasure": "1 Hour", "armRegionName": "eastus", "retailPrice": "cheap"}]}))
    result = run("cost", write_spec(tmp_path, load_example()), "--prices", str(bad))
    assert result.exit_code == 2 and "not a gen price table" in result.stderr


def test_an_ergwscale_gateway_is_billed_for_at_least_its_minimum_scale_units():
    data = load_example()
    data["hub"]["expressRouteGateway"].update(sku="ErGwScale", scaleUnits={"min": 10, "max": 20})
    t = model.build(data)
    gateway = line(cost.estimate(t, prices.load()), "ExpressRoute gateway")
    assert gateway.quantity == 730 * 10 and "10 scale unit(s) assumed (the gateway scales from 10 to 20)" == gateway.note
    data["costAssumptions"] = {"erGatewayScaleUnits": 40}
    assert line(seed_estimate(data), "ExpressRoute gateway").quantity == 730 * 20  # never above its maximum


def test_a_row_in_another_currency_is_never_summed(tmp_path):
    shipped = json.loads((Path(prices.__file__).parent / "prices.json").read_text())
    for row in shipped["rows"]:
        if row["key"] == "route-server":
            row["currencyCode"] = "EUR"
    table = tmp_path / "prices.json"
    table.write_text(json.dumps(shipped))
    e = cost.estimate(model.build(load_example()), prices.load(table))
    server = line(e, "Route Server")
    assert server.monthly is None and server.note.startswith("priced in EUR, not the table's USD: left out")
    assert e.total == round(sum(l.monthly for l in e.lines if l.monthly is not None), 2)


def test_prices_update_never_keeps_an_old_price_under_a_new_currency():
    api = RecordedApi()
    table, missing = prices.update(None, "westeurope", "EUR", lambda url: api(url.replace("%27EUR%27", "%27USD%27")),
                                   "2026-12-07")
    rows = {r["key"]: r for r in table["rows"]}
    # the recorded answer says USD for every item: each row says so, and the table's EUR total leaves them out
    assert rows["public-ip"]["currencyCode"] == "USD"
    assert rows["er-gateway:UltraPerformance"]["retailPrice"] is None  # not answered: unknown, not the old USD price


@pytest.mark.parametrize("hostile", [
    {"rows": 1}, {"rows": [1]}, {"rows": {"a": 1}}, {"rows": "x"}, {"hoursPerMonth": 1e400}, {"hoursPerMonth": True},
    {"hoursPerMonth": -730}, {"currency": "<img src=x>"}, {"recorded": "2026-12-07 | @octocat"},
    {"row": {"retailPrice": float("nan")}}, {"row": {"retailPrice": 10 ** 400}}, {"row": {"retailPrice": -1}},
    {"row": {"retailPrice": True}}, {"row": {"key": "public-ip"}, "twice": True}, {"row": {"note": "a\nb"}},
])
def test_a_price_table_holds_prices_codes_and_lines_of_text_or_is_refused(tmp_path, hostile):
    shipped = json.loads((Path(prices.__file__).parent / "prices.json").read_text())
    if "row" in hostile:
        shipped["rows"][0].update(hostile["row"])
        if hostile.get("twice"):
            shipped["rows"].append(dict(shipped["rows"][0]))
    else:
        shipped.update(hostile)
    table = tmp_path / "prices.json"
    table.write_text(json.dumps(shipped))
    with pytest.raises(prices.PriceTableError, match="not a gen price table"):
        prices.load(table)
    result = run("cost", write_spec(tmp_path, load_example()), "--prices", str(table))
    assert result.exit_code == 2


@pytest.mark.parametrize("answer", [
    {"Items": [{"skuName": "Standard", "meterName": "Standard IPv4 Static Public IP", "retailPrice": 0.005,
                "productName": "IP Addresses", "tierMinimumUnits": "abc"}], "NextPageLink": None},
    {"Items": [], "NextPageLink": 123},
    {"Items": [], "NextPageLink": {}},
    {"Items": [{"skuName": "Standard", "meterName": "Standard IPv4 Static Public IP", "retailPrice": -0.005,
                "productName": "IP Addresses"}], "NextPageLink": None},
    {"Items": [{"skuName": "Standard", "meterName": "Standard IPv4 Static Public IP", "retailPrice": float("nan"),
                "productName": "IP Addresses"}], "NextPageLink": None},
    {"Items": "none"},
])
def test_prices_update_takes_no_hostile_answer_for_a_price(answer):
    try:
        table, _ = prices.update(None, "westeurope", "USD", lambda url: answer, "2026-12-07")
    except prices.PriceTableError:
        return  # refused: gen prices update exits 2
    for row in table["rows"]:
        assert row["retailPrice"] is None or 0 <= row["retailPrice"] < 1e6


# --- what mutation round 5 found no test for -----------------------------------------------------------------------


def test_a_price_without_date_or_source_says_so():
    text = cost.as_text(cost.estimate(model.build(load_example(EXAMPLES / "vpn-sites.json")), prices.load()))
    assert "vpn-gateway:VpnGw2AZ: unknown USD per 1 Hour, eastus, no date; no source" in text
    assert "vpn-gateway:VpnGw1AZ: 0.21 USD per 1 Hour, eastus, undated, recorded 2026-12-07; https://" in text


def test_branch_gateways_are_grouped_by_sku_where_each_sku_first_appears():
    data = load_example()
    for i, sku in enumerate(("VpnGw1AZ", "VpnGw2AZ", "VpnGw1AZ")):
        data["branches"].append({"name": f"extra{i}", "kind": "vnet", "vnet": {
            "name": f"vnet-extra{i}", "addressSpace": [f"10.{90 + i}.0.0/24"],
            "subnets": [{"name": "GatewaySubnet", "prefix": f"10.{90 + i}.0.0/27"}]},
            "vpnGateway": {"name": f"vpngw-extra{i}", "sku": sku, "asn": 65100 + i, "generation": "Generation1"}})
    table = cost.as_markdown(seed_estimate(data), rows=1)
    rows = [line.split(" | ")[0].lstrip("| ") for line in table.splitlines() if line.startswith("| ") and "branch" in line]
    assert rows == ["3 branch VPN gateways (branch1, extra0, extra2, ...)", "branch 'extra1' VPN gateway vpngw-extra1"]


def test_a_line_that_goes_away_costs_nothing_after():
    data = load_example(EXAMPLES / "hub-spoke.json")
    quieter = copy.deepcopy(data)
    del quieter["hub"]["firewall"]["diagnostics"]
    d = cost.delta(model.build(data), model.build(quieter), prices.load())
    assert ("Log Analytics: firewall logs ingested (Analytics Logs Data Ingestion)", 57.5, 0) in d.changed_lines()
    assert d.change == -57.5


def test_values_in_a_price_table_error_are_cut_and_the_file_named(tmp_path):
    shipped = json.loads((Path(prices.__file__).parent / "prices.json").read_text())
    shipped["rows"][0]["retailPrice"] = "x" * 100
    table = tmp_path / "mine.json"
    table.write_text(json.dumps(shipped))
    with pytest.raises(prices.PriceTableError) as raised:
        prices.load(table)
    assert str(raised.value).startswith(f"{table}: not a gen price table") and "x" * 41 not in str(raised.value)
    shipped["rows"][0].update(retailPrice=0.19, note="n" * 2000)  # a note of 2,000 characters is still a line of text
    table.write_text(json.dumps(shipped))
    assert prices.load(table).get(shipped["rows"][0]["key"]).note == "n" * 2000


def test_a_tier_is_a_finite_number_from_zero():
    assert prices._tier({"tierMinimumUnits": -5}) == 0.0
    assert prices._tier({"tierMinimumUnits": 0.5}) == 0.5
    assert prices._tier({"tierMinimumUnits": "inf"}) == 0.0


def test_only_the_retail_prices_api_is_fetched(monkeypatch):
    import io
    import urllib.request

    asked = []

    def answer(request, timeout):
        asked.append(request.full_url)
        return io.BytesIO(b'{"Items": [], "NextPageLink": null}')

    monkeypatch.setattr(urllib.request, "urlopen", answer)
    assert prices.fetch_json("https://prices.azure.com:443/api/retail/prices?$skip=1000") == {"Items": [], "NextPageLink": None}
    for elsewhere in ("https://prices.azure.com/other", "http://prices.azure.com/api/retail/prices", "https://evil.example/api/retail/prices"):
        with pytest.raises(prices.PriceTableError, match="not the Retail Prices API"):
            prices.fetch_json(elsewhere)
    assert asked == ["https://prices.azure.com:443/api/retail/prices?$skip=1000"]
