"""Placeholder: written next."""

SOURCE = ""


def render(config):
    from .site import DeviceConfigError

    raise DeviceConfigError("panos: not written yet")
