"""Placeholder: written next."""

SOURCE = ""


def render(config):
    from .site import DeviceConfigError

    raise DeviceConfigError("cisco_iosxe: not written yet")
