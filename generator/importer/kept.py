"""What running resources carry that gen does not design, kept in the spec (`tags`, `asDeployed`) so that a redeploy
of the imported spec writes it as it is.

A template's tags replace a resource's ("The tags you apply through a Bicep file overwrite any existing tags":
https://learn.microsoft.com/azure/azure-resource-manager/management/tag-resources-bicep), and a property the template
leaves out is reset ("Properties that aren't included in the template are reset to the default values":
https://learn.microsoft.com/azure/azure-resource-manager/templates/deployment-modes). So every resource the spec
renders gets its running tags, its zones (they cannot change: ResourceAvailabilityZonesCannotBeModified) and every
writable property gen does not design (azure_shapes.kept_properties).
"""

from __future__ import annotations

from collections import Counter

from .. import azure_shapes, model
from ..capture import Resource
from ..inventory import PUBLIC_IP, TAGGED, inventory
from ..live import home_subscription_of
from .evidence import ASSUMED, Evidence


def common_tags(ev: Evidence, spec: dict) -> None:
    """The spec's `tags`: the set most resources the spec renders carry (the rest keep theirs in asDeployed)."""
    captured = _captured(ev, spec)
    sets = Counter(tuple(sorted((resource.tags or {}).items())) for key, resource in captured.items() if key[0] in _TAGGED)
    if sets:
        best = max(sets.items(), key=lambda item: (item[1], -len(item[0])))[0]
        if best:
            spec["tags"] = dict(best)


_TAGGED = {t.lower() for t in TAGGED}


def _captured(ev: Evidence, spec: dict) -> dict[tuple, Resource]:
    """The captured resource behind each resource the spec renders, by inventory key."""
    t = model.build(spec)
    home = home_subscription_of(ev.capture, t.hub.vnet.name, t.scope.resource_group).lower()
    by_key = {}
    for resource in ev.capture.resources.values():
        subscription = "" if resource.subscription.lower() == home else resource.subscription.lower()
        by_key[(resource.type.lower(), subscription, resource.resource_group.lower(), resource.name.lower())] = resource
    return {key: by_key[key] for key in inventory(t) if key in by_key}


def as_deployed(ev: Evidence, spec: dict) -> None:
    """`asDeployed`: for each resource the spec renders, what it carries beyond gen's design."""
    t = model.build(spec)
    designed = inventory(t)
    found = []
    for key, resource in sorted(_captured(ev, spec).items(), key=lambda item: item[1].id.lower()):
        mine = designed[key]
        entry = {}
        if key[0] in _TAGGED and dict(resource.tags or {}) != dict(t.tags):
            entry["tags"] = dict(resource.tags or {})
        if resource.type.lower() == PUBLIC_IP.lower():
            zones = sorted(resource.zones)
            if zones != sorted(mine.props.get("zones") or ()):
                if zones or ev.capture.zones_are_read():
                    entry["zones"] = zones
                else:
                    ev.leave(resource, "its zones", f"this capture may not hold them (gen collect before version 2 read public "
                                                    f"IPs with az resource show, which drops zones): assumed "
                                                    f"{', '.join(mine.props.get('zones') or ()) or 'none'} from what uses it; "
                                                    f"check with az network public-ip show --query zones", ASSUMED)
            if (resource.sku or {}).get("name") not in (None, "Standard"):
                entry["sku"] = dict(resource.sku)
        # The network resources gen designs; a Log Analytics workspace gen creates keeps what gen writes.
        # What the spec designs on it (mine.designed: its type's, and a policy's SNAT or DNS where the spec has them)
        # is written from the spec; the rest is kept as it runs.
        properties = azure_shapes.kept_properties(resource.type, resource.properties, mine.designed) \
            if resource.type.lower() in azure_shapes.DESIGNED else {}
        if resource.type.lower() == azure_shapes.POLICY and "snat" in properties and \
                azure_shapes.snat_ranges(properties["snat"]) == tuple(t.designed_snat_ranges or ()):
            properties.pop("snat")  # what gen designs for this spec anyway
        if properties:
            entry["properties"] = properties
        if entry:
            found.append((model.resource_key(mine.type, *mine.name.split("/")), resource.id, entry))
    # Keyed by type and name; by the whole resource ID where two resources the spec renders share both (the
    # landing-zone modules give every spoke's route table one name).
    shared = Counter(key.lower() for key in (model.resource_key(r.type, *r.name.split("/")) for r in designed.values()))
    if found:
        spec["asDeployed"] = {(resource_id if shared[key.lower()] > 1 else key): entry for key, resource_id, entry in found}
